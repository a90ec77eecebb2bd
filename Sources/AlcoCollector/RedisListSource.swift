import AlcoIndex
import AlcoIngest
import Foundation

/// Takes JSON lines from a Redis list, the way Logstash's redis input with `data_type => list`
/// does, without losing any: each batch moves to a processing list (BLMOVE/LMOVE), is stored
/// durably, and only then is trimmed from the processing list. After a crash, whatever is
/// left in the processing list is stored first.
public final class RedisListSource: @unchecked Sendable {
    public let index: LogIndex
    public let url: RedisURL
    public let list: String
    let rejects: RejectStore
    let metrics: CollectorMetrics
    let batchSize: Int
    let log: @Sendable (String) -> Void
    private let lock = ConditionLock()
    private var stopping = false
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)

    public var processingList: String { "\(list):alco-processing:\(index.name)" }

    public init(index: LogIndex, url: RedisURL, list: String, rejects: RejectStore, metrics: CollectorMetrics, batchSize: Int = 1000,
                log: @escaping @Sendable (String) -> Void) {
        self.index = index
        self.url = url
        self.list = list
        self.rejects = rejects
        self.metrics = metrics
        self.batchSize = batchSize
        self.log = log
    }

    public func start() {
        let t = Thread { [self] in
            loop()
            done.signal()
        }
        t.name = "alco.redis.\(list)"
        thread = t
        t.start()
    }

    public func stop() {
        lock.withLock { stopping = true }
        if thread != nil { done.wait() }
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    private func loop() {
        var backoff = 0.5
        var lastError = ""
        while !isStopping {
            do {
                try session()
            } catch {
                metrics.update {
                    $0.connected = false
                    $0.reconnects += 1
                    $0.lastError = "\(error)"
                }
                if "\(error)" != lastError {
                    log("alco: redis source \(list) → \(index.name): \(error); reconnecting with backoff")
                    lastError = "\(error)"
                }
                let until = Date().addingTimeInterval(backoff)
                while !isStopping && Date() < until { usleep(50_000) }
                backoff = min(backoff * 2, 30)
                continue
            }
            backoff = 0.5
        }
    }

    private func session() throws {
        let c = try RedisConnection(url: url)
        c.setReadTimeout(seconds: 5)
        metrics.update { $0.connected = true; $0.lastError = nil }
        log("alco: redis source: \(url) list '\(list)' → index \(index.name)")
        var decoder = LogstashDecoder(producerZone: TimeZone(identifier: index.settings.producerTimeZone) ?? TimeZone(identifier: "UTC")!)
        decoder.requireTimestamp = true
        // Left over from a crash: stored again (at least once; logcollect's seq makes it a replace).
        if case .array(let leftover) = try c.command(["LRANGE", processingList, "0", "-1"]), !leftover.isEmpty {
            try store(leftover.compactMap { if case .string(let b) = $0 { return b }; return nil }, decoder: decoder)
            try c.expectOK(["DEL", processingList])
        }
        while !isStopping {
            guard case .string(let first) = try c.command(["BLMOVE", list, processingList, "LEFT", "RIGHT", "1"]) else { continue }
            var batch = [first]
            let more = try c.pipeline(Array(repeating: ["LMOVE", list, processingList, "LEFT", "RIGHT"], count: batchSize - 1))
            for r in more { if case .string(let b) = r { batch.append(b) } }
            try store(batch, decoder: decoder)
            // Stored: drop exactly this batch from the head of the processing list.
            let replies = try c.pipeline([["LTRIM", processingList, String(batch.count), "-1"], ["LLEN", list]])
            if case .error(let e) = replies[0] { throw CollectorError.broker("redis LTRIM: \(e)", code: 0) }
            let depth: Int
            if case .integer(let n) = replies[1] { depth = Int(n) } else { depth = 0 }
            metrics.update {
                $0.acked += batch.count
                $0.queueDepth = depth
            }
        }
    }

    private func store(_ lines: [[UInt8]], decoder: LogstashDecoder) throws {
        let started = Date()
        let now = Int64(started.timeIntervalSince1970 * 1e6)
        var docs: [NewDocument] = []
        var rejected = 0
        for line in lines {
            switch line.withUnsafeBytes({ decoder.decode($0, now: now) }) {
            case .success(var doc):
                if let us = doc.microseconds, let seq = doc.sequenceHint {
                    doc.id = DocumentID.make(microseconds: us, sequence: seq % DocumentID.perMicrosecond)
                }
                docs.append(doc)
            case .failure(let rejection):
                rejected += 1
                try line.withUnsafeBytes { try rejects.record(rejection, raw: $0, source: "redis:\(list)", line: nil, index: index.name) }
                metrics.update { $0.rejected[rejection.reason, default: 0] += 1 }
            }
        }
        if rejected > 0 { try rejects.sync() }
        if !docs.isEmpty { try index.append(docs, mode: .replace) }
        let millis = Date().timeIntervalSince(started) * 1000
        metrics.update {
            $0.received += lines.count
            $0.stored += docs.count
            $0.batches += 1
            $0.lastBatchMillis = millis
        }
    }
}
