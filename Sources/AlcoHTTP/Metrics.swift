import AlcoIndex

/// `/metrics` in Prometheus' text format: per index, documents and what each source received,
/// stored, rejected (by reason) and acknowledged.
enum Metrics {
    static func render(_ services: HTTPServices) -> String {
        var out = ""
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
        var latency: [(String, String)] = []
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
            latency.append((l, String(m.lastBatchMillis / 1000)))
            depth.append((l, String(m.queueDepth)))
        }
        family("alco_messages_received_total", "counter", "Messages received, per index and source.", received)
        family("alco_messages_stored_total", "counter", "Messages stored durably.", stored)
        family("alco_messages_rejected_total", "counter", "Messages rejected, by reason (kept in DATA/rejects).", rejected)
        family("alco_messages_acked_total", "counter", "Messages acknowledged to their source (RabbitMQ ack, Redis trim) after being stored.", acked)
        family("alco_source_connected", "gauge", "1 while the source's broker connection is up.", connected)
        family("alco_source_lag_messages", "gauge", "Messages waiting at the source (queue depth, list length).", depth)
        family("alco_batch_seconds", "gauge", "Duration of the last stored batch.", latency)
        return out
    }
}
