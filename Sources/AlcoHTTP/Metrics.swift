import AlcoIndex
import Prometheus

/// `/metrics` in Prometheus' text format: what the process recorded through swift-metrics
/// (latency histograms, connection gauges; their help from `MetricsHelp`), then what is read
/// at scrape time: per index, documents, segments per day, buffered bytes, and what each
/// source received, stored, rejected (by reason) and acknowledged.
enum Metrics {
    static func render(_ services: HTTPServices) -> String {
        var out = services.metricsRegistry.map { recorded($0) } ?? ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for s in samples { out += "\(name){\(s.labels)} \(s.value)\n" }
        }
        func label(_ v: String) -> String {
            v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
        }
        let indexes = services.catalog.indexes
        let stats = indexes.map { ($0.name, $0.stats()) }
        family(
            "alco_index_documents", "gauge", "Documents in the index.",
            stats.map { ("index=\"\(label($0.0))\"", String($0.1.documents)) })
        family(
            "alco_index_disk_bytes", "gauge", "Bytes of the index's segments on disk.",
            stats.map { ("index=\"\(label($0.0))\"", String($0.1.diskBytes)) })
        family(
            "alco_index_segments", "gauge", "Segments (in memory and on disk) per index and day (YYYYMMDD in the index's time zone).",
            stats.flatMap { name, s in s.days.map { ("index=\"\(label(name))\",day=\"\($0.day)\"", String($0.segments)) } })
        family(
            "alco_realtime_buffer_bytes", "gauge", "Bytes of documents in the index's realtime buffer, not yet sealed into a segment.",
            stats.map { ("index=\"\(label($0.0))\"", String($0.1.bufferedBytes)) })
        let http = services.ingestCounters.snapshot.sorted { $0.key < $1.key }
        let sources = services.sourceMetrics().sorted { ($0.index, $0.source) < ($1.index, $1.source) }
        var received: [(String, String)] = []
        var stored: [(String, String)] = []
        var rejected: [(String, String)] = []
        for (name, c) in http {
            let l = "index=\"\(label(name))\",source=\"http\""
            received.append((l, String(c.received)))
            stored.append((l, String(c.stored)))
            for (reason, n) in c.rejected.sorted(by: { $0.key < $1.key }) {
                rejected.append((l + ",reason=\"\(label(reason))\"", String(n)))
            }
        }
        family(
            "alco_http_ingest_requests_total", "counter", "Ingest requests (JSON lines and bulk) per index.",
            http.map { ("index=\"\(label($0.key))\"", String($0.value.requests)) })
        var acked: [(String, String)] = []
        var connected: [(String, String)] = []
        var depth: [(String, String)] = []
        for (name, source, m) in sources {
            let l = "index=\"\(label(name))\",source=\"\(label(source))\""
            received.append((l, String(m.received)))
            stored.append((l, String(m.stored)))
            for (reason, n) in m.rejected.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                rejected.append((l + ",reason=\"\(reason.rawValue)\"", String(n)))
            }
            acked.append((l, String(m.acked)))
            connected.append((l, m.connected ? "1" : "0"))
            depth.append((l, String(m.queueDepth)))
        }
        family("alco_messages_received_total", "counter", "Messages received, per index and source.", received)
        family("alco_messages_stored_total", "counter", "Messages stored durably.", stored)
        family("alco_messages_rejected_total", "counter", "Messages rejected, by reason (kept in DATA/rejects).", rejected)
        family("alco_messages_acked_total", "counter", "Messages acknowledged to their source (RabbitMQ ack, Redis trim) after being stored.", acked)
        family("alco_source_connected", "gauge", "1 while the source's broker connection is up.", connected)
        family("alco_source_lag_messages", "gauge", "Messages waiting at the source (queue depth, list length).", depth)
        return out
    }

    /// The registry's families sorted by name, each with its `# HELP` line: swift-metrics has
    /// no place for help text, so it is kept here by name.
    static func recorded(_ registry: PrometheusCollectorRegistry) -> String {
        var families: [(name: String, lines: [Substring])] = []
        for line in registry.emitToString().split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let name = line.dropFirst(7).prefix { $0 != " " }
                families.append((String(name), ["# HELP \(name) \(MetricsHelp.text[String(name)] ?? "See the README's metrics table.")", line]))
            } else if line.hasPrefix("# HELP ") {
                continue
            } else if !families.isEmpty {
                families[families.count - 1].lines.append(line)
            }
        }
        var out = ""
        for family in families.sorted(by: { $0.name < $1.name }) {
            for line in family.lines { out += line + "\n" }
        }
        return out
    }
}

/// Help text of the metrics recorded through swift-metrics, by name (README's table lists them).
enum MetricsHelp {
    static let text: [String: String] = [
        "alco_sphinxql_statement_duration_seconds": "SphinxQL statements by kind (select, insert, show, ...; invalid: did not parse), from parse to result.",
        "alco_sphinxql_statement_errors_total": "SphinxQL statements that failed, by kind.",
        "alco_http_request_duration_seconds": "HTTP requests by route pattern, method and status, to the response head.",
        "alco_ingest_batch_duration_seconds": "Ingest batches from decoding to durable (WAL fsynced), by index and kind of source.",
        "alco_amqp_consume_to_ack_seconds": "RabbitMQ: from a batch's first message arriving to the ack that covers it.",
        "alco_wal_fsync_duration_seconds": "One group commit's fsync of the write-ahead log.",
        "alco_seal_duration_seconds": "The realtime buffer sealed into immutable segments.",
        "alco_flush_duration_seconds": "In-memory segments and tombstones written to disk with their manifest.",
        "alco_merge_duration_seconds": "One segment merge, from reading its sources to installing the result.",
        "alco_retention_pass_duration_seconds": "One retention pass over an index (dropping days past its retention).",
        "alco_connections_open": "Client connections open now, by protocol (sphinxql, sphinxapi).",
    ]
}
