import AlcoCollector
import AlcoIndex
import AlcoIngest
import ArgumentParser
import Foundation

/// Benchmark helpers used by `Benchmarks/run.sh` (not timed tests).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure ingest and the anchor queries in process (see Benchmarks/).",
        subcommands: [Ingest.self, Build.self, Queries.self, Publish.self, Drain.self])

    /// Publishes a corpus's lines to RabbitMQ as logcollect would (one message per line,
    /// routing key logstash.<logger>), through rabbitmq-c: a publisher fast enough to measure
    /// the collector rather than itself.
    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Publish a corpus's lines to RabbitMQ.")
        @Option var url = "amqp://guest:guest@127.0.0.1:5672"
        @Option var exchange = "logstash"
        @Option var routingKey = "logstash.bench"
        @Option(help: "Declare this queue and bind it first, so messages wait for the collector.") var queue: String?
        @Option var corpus: String
        @Option var count: Int = .max

        func run() throws {
            let publisher = try AMQPPublisher(url: try AMQPURL(url))
            try publisher.declare(exchange: exchange)
            if let queue { try publisher.declare(queue: queue, boundTo: exchange, routingKey: "logstash.#") }
            guard let file = fopen(corpus, "r") else { throw ValidationError("cannot open \(corpus)") }
            defer { fclose(file) }
            var line: UnsafeMutablePointer<CChar>?
            var capacity = 0
            var sent = 0
            let t0 = Date()
            while sent < count {
                let n = getline(&line, &capacity, file)
                if n <= 0 { break }
                let length = line![n - 1] == 10 ? n - 1 : n
                try publisher.publish(
                    exchange: exchange, routingKey: routingKey,
                    body: UnsafeRawBufferPointer(start: line, count: length))
                sent += 1
            }
            free(line)
            let seconds = Date().timeIntervalSince(t0)
            let waiting = try queue.map { try publisher.messageCount(queue: $0) }
            publisher.close()
            var out: [String: Any] = ["published": sent, "seconds": seconds, "per_second": Double(sent) / seconds]
            if let waiting { out["queued"] = waiting }
            Bench.emit(out)
        }
    }

    /// Consumes and acknowledges a queue's messages without storing them: the broker's own
    /// delivery rate, beside which the collector's is read.
    struct Drain: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Consume and ack a queue's messages, storing nothing.")
        @Option var url = "amqp://guest:guest@127.0.0.1:5672"
        @Option var queue: String
        @Option var count: Int
        @Option(help: "Acknowledge each batch this many milliseconds after it arrived, as a collector storing it would.")
        var ackDelayMs: Double = 0

        func run() throws {
            let drain = try AMQPDrain(url: try AMQPURL(url))
            defer { drain.close() }
            let (messages, seconds) = try drain.drain(queue: queue, count: count, ackDelay: ackDelayMs / 1000)
            Bench.emit(["messages": messages, "seconds": seconds, "per_second": seconds > 0 ? Double(messages) / seconds : 0])
        }
    }

    /// Peak resident set size of this process, from /proc.
    static func peakRSSBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kb * 1024
        }
        return 0
    }

    static func directoryBytes(_ path: String) -> Int {
        var total = 0
        if let e = FileManager.default.enumerator(atPath: path) {
            for case let f as String in e {
                if let a = try? FileManager.default.attributesOfItem(atPath: path + "/" + f), (a[.type] as? FileAttributeType) == .typeRegular {
                    total += (a[.size] as? Int) ?? 0
                }
            }
        }
        return total
    }

    static func emit(_ object: [String: Any]) {
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// Loads a corpus file, records ingest time to durable, to searchable and to flushed,
    /// then merges each day down and reports bytes on disk (flushed and merged) and peak RSS
    /// (the kernel's, and sampled anonymous and file-backed memory apart).
    struct Ingest: ParsableCommand {
        @OptionGroup var data: DataOptions
        @Option var index: String = "logs"
        @Option var corpus: String
        @Flag var noMerge = false

        func run() throws {
            try reportingErrors {
                let catalog = try data.openCatalog()
                let target = try catalog.indexIfExists(index) ?? catalog.createIndex(IndexSettings(name: index))
                let rejects = try RejectStore(directory: data.directory + "/rejects")
                let ingester = LineIngester(index: target, rejects: rejects, format: .json)
                ingester.overlapsStores = true
                let fd = open(corpus, O_RDONLY)
                guard fd >= 0 else { throw AlcoError.io(path: corpus, operation: "open", errno: errno) }
                let memory = MemorySampler()
                defer { memory.stop() }
                let t0 = Date()
                try ingester.ingest(fd: fd, source: corpus)
                close(fd)
                let durable = Date().timeIntervalSince(t0)
                try target.seal()
                let searchable = Date().timeIntervalSince(t0)
                let rssIngest = Bench.peakRSSBytes()
                let memoryIngest = memory.current()
                try target.flush()
                let flushed = Date().timeIntervalSince(t0)
                let diskFlushed = Bench.directoryBytes(data.directory + "/indexes/" + index)
                let segmentsFlushed = target.stats().diskSegments
                var merged = flushed
                if !noMerge {
                    try target.optimize()
                    merged = Date().timeIntervalSince(t0)
                }
                let stats = target.stats()
                try catalog.close()
                let memoryAll = memory.current()
                Bench.emit([
                    "lines": ingester.stored, "rejected": ingester.rejected, "input_bytes": ingester.bytesRead,
                    "seconds_durable": durable, "seconds_searchable": searchable, "seconds_flushed": flushed,
                    "seconds_merged": merged, "lines_per_second": Double(ingester.stored) / searchable,
                    "mb_per_second": Double(ingester.bytesRead) / 1e6 / searchable,
                    "disk_bytes": Bench.directoryBytes(data.directory + "/indexes/" + index),
                    "disk_bytes_flushed": diskFlushed, "segments_flushed": segmentsFlushed,
                    "peak_rss_ingest": rssIngest, "peak_rss": Bench.peakRSSBytes(),
                    "peak_rss_anon_ingest": memoryIngest.anonymous, "peak_rss_file_ingest": memoryIngest.fileBacked,
                    "peak_rss_anon": memoryAll.anonymous, "peak_rss_file": memoryAll.fileBacked,
                    "segments": stats.diskSegments, "sections": target.sectionSizes(),
                ])
            }
        }
    }

    /// Times the segment builder alone over the first N lines of a corpus.
    struct Build: ParsableCommand {
        @Option var corpus: String
        @Option var docs: Int = 100_000
        @Flag var high = false

        func run() throws {
            let decoder = LogstashDecoder()
            var batch: [Document] = []
            let text = try String(contentsOfFile: corpus, encoding: .utf8)
            var id: UInt64 = 1
            for line in text.split(separator: "\n").prefix(docs) {
                var bytes = Array(line.utf8)
                if case .success(let d) = bytes.withUnsafeMutableBytes({ decoder.decode(UnsafeRawBufferPointer($0), now: 0) }) {
                    batch.append(Document(id: id, logline: d.logline, js: d.js))
                    id += 1
                }
            }
            let t0 = Date()
            let stored = batch.reduce(0) { $0 + $1.logline.utf8.count + $1.js.utf8.count }
            let builder = SegmentBuilder(compression: high ? .high : .fast, expectedStoredBytes: high ? stored : 0)
            for d in batch { builder.add(d) }
            let t1 = Date()
            let bytes = builder.finish()
            let t2 = Date()
            let sections = try SegmentReader(name: "bench", storage: SegmentStorage(copying: bytes)).sectionSizes
            Bench.emit([
                "docs": batch.count, "add_seconds": t1.timeIntervalSince(t0), "finish_seconds": t2.timeIntervalSince(t1),
                "docs_per_second": Double(batch.count) / t2.timeIntervalSince(t0), "bytes": bytes.count,
                "sections": sections,
            ])
        }
    }

    /// Runs the anchor queries from a spec file: 2 warm-ups, then the median of N runs.
    struct Queries: ParsableCommand {
        @OptionGroup var data: DataOptions
        @Option var index: String = "logs"
        @Option(help: "JSON spec of the anchor queries (Benchmarks/anchors.json after substitution).") var spec: String
        @Option var runs: Int = 20
        @Flag(
            help: """
                Run each query once, after evicting the index's segment files from the page cache \
                (pages the open mapped stay, as in a server), and report the bytes the process read \
                from disk for it. Give one query per process: what a run reads stays mapped.
                """)
        var cold = false

        func run() throws {
            try reportingErrors {
                var options = EngineOptions()
                options.backgroundMaintenance = false
                let catalog = try Catalog(directory: data.directory, options: options)
                defer { try? catalog.close() }
                let target = try catalog.index(index)
                let specData = try Data(contentsOf: URL(fileURLWithPath: spec))
                guard let queries = try JSONSerialization.jsonObject(with: specData) as? [[String: Any]] else {
                    throw AlcoError.invalidSetting("spec must be a JSON array")
                }
                var results: [[String: Any]] = []
                for q in queries {
                    let request = try AnchorQuery.request(q)
                    if cold {
                        ColdReads.evict(segmentsOf: data.directory + "/indexes/" + index)
                        let before = ColdReads.bytesRead()
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        let r = try target.search(request)
                        let t1 = DispatchTime.now().uptimeNanoseconds
                        results.append([
                            "name": q["name"] ?? "", "cold_ms": Double(t1 - t0) / 1e6, "read_bytes": ColdReads.bytesRead() - before,
                            "rows": request.groupBy != nil ? r.groups.count : r.hits.count,
                        ])
                        continue
                    }
                    var times: [Double] = []
                    var count = 0
                    for k in 0..<(runs + 2) {
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        let r = try target.search(request)
                        let t1 = DispatchTime.now().uptimeNanoseconds
                        if k >= 2 { times.append(Double(t1 - t0) / 1e6) }
                        count = request.groupBy != nil ? r.groups.count : (request.countTotal && request.limit == 0 ? r.totalFound : r.hits.count)
                    }
                    times.sort()
                    results.append([
                        "name": q["name"] ?? "", "median_ms": times[times.count / 2], "p90_ms": times[times.count * 9 / 10],
                        "rows": count,
                    ])
                }
                Bench.emit(["queries": results])
            }
        }
    }
}

/// What a cold query costs: the segment files out of the page cache before it, the bytes the
/// process read from disk during it.
enum ColdReads {
    static func evict(segmentsOf indexDirectory: String) {
        let dir = indexDirectory + "/segments"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasSuffix(".seg") {
            let fd = open(dir + "/" + name, O_RDONLY)
            guard fd >= 0 else { continue }
            // Dirty pages stay in the cache: written first, they can go.
            _ = fdatasync(fd)
            _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
            close(fd)
        }
    }

    /// `read_bytes` of /proc/self/io: what reached the disk, not what the page cache served.
    static func bytesRead() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("read_bytes:") {
            return Int(line.split(separator: " ").last ?? "") ?? 0
        }
        return 0
    }
}

/// Turns one anchor query of the spec into the engine's request form.
enum AnchorQuery {
    static func request(_ q: [String: Any]) throws -> SearchRequest {
        var r = SearchRequest()
        let text = q["text"] as? String ?? ""
        switch q["mode"] as? String ?? "words" {
        case "substring": r.text = .substring(text, caseSensitive: true)
        case "regex": r.text = .regex(text, caseSensitive: true)
        default: r.text = try QueryParser.parse(text)
        }
        var filters: [Filter] = []
        if let f = q["filter"] as? [String: Any] {
            for (k, v) in f {
                if let s = v as? String { filters.append(.oneOf(key: k, values: [.string(s)])) }
                if let d = v as? Double { filters.append(.oneOf(key: k, values: [.number(d)])) }
            }
        }
        if !filters.isEmpty { r.filter = .and(filters) }
        if let lo = q["id_min"] as? NSNumber, let hi = q["id_max"] as? NSNumber {
            r.ids = IDBounds(lo.uint64Value, hi.uint64Value)
        }
        r.order = (q["order"] as? String) == "asc" ? .idAscending : .idDescending
        r.offset = q["offset"] as? Int ?? 0
        r.limit = q["limit"] as? Int ?? 100
        r.maxMatches = q["max_matches"] as? Int ?? 1000
        r.countTotal = q["count"] as? Bool ?? false
        if r.countTotal && q["limit"] == nil { r.limit = 0 }
        r.groupBy = q["group_by"] as? String
        if q["snippet"] as? Bool == true { r.snippet = SnippetOptions() }
        return r
    }
}
