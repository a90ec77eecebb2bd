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
    private let loop = BackgroundLoop()

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

    public func start() { loop.start(name: "alco.redis.\(list)") { [self] in run() } }

    public func stop() { loop.stop() }

    private func run() {
        var backoff = 0.5
        var lastError = ""
        while !loop.isStopping {
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
                loop.pause(backoff)
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
        let batch = MessageBatch(index: index, rejects: rejects, metrics: metrics)
        let source = "redis:\(list)"
        // Left over from a crash: stored again (at least once; logcollect's seq makes it a replace).
        if case .array(let leftover) = try c.command(["LRANGE", processingList, "0", "-1"]), !leftover.isEmpty {
            var messages = ReceivedMessages()
            for case .string(let b) in leftover { messages.append(b, origin: source) }
            try batch.store(messages)
            try c.expectOK(["DEL", processingList])
        }
        while !loop.isStopping {
            guard case .string(let first) = try c.command(["BLMOVE", list, processingList, "LEFT", "RIGHT", "1"]) else { continue }
            var lines = [first]
            let more = try c.pipeline(Array(repeating: ["LMOVE", list, processingList, "LEFT", "RIGHT"], count: batchSize - 1))
            for r in more { if case .string(let b) = r { lines.append(b) } }
            var messages = ReceivedMessages()
            for line in lines { messages.append(line, origin: source) }
            try batch.store(messages)
            // Stored: drop exactly this batch from the head of the processing list.
            let replies = try c.pipeline([["LTRIM", processingList, String(lines.count), "-1"], ["LLEN", list]])
            if case .error(let e) = replies[0] { throw CollectorError.broker("redis LTRIM: \(e)", code: 0) }
            let depth: Int
            if case .integer(let n) = replies[1] { depth = Int(n) } else { depth = 0 }
            metrics.update {
                $0.acked += lines.count
                $0.queueDepth = depth
            }
        }
    }
}
