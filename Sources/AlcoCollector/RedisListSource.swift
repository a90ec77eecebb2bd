import AlcoIndex
import AlcoIngest
import Foundation
import Logging

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
    let configuration: ConsumerStateMachine.Configuration
    let logger: Logger
    private let loop = BackgroundLoop()

    public var processingList: String { "\(list):alco-processing:\(index.name)" }

    public init(
        index: LogIndex, url: RedisURL, list: String, rejects: RejectStore, metrics: CollectorMetrics, batchSize: Int = 1000,
        logger: Logger
    ) {
        self.index = index
        self.url = url
        self.list = list
        self.rejects = rejects
        self.metrics = metrics
        var configuration = ConsumerStateMachine.Configuration()
        configuration.batchSize = max(1, batchSize)
        self.configuration = configuration
        self.logger = logger
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
                    logger.warning("redis source \(list) → \(index.name): \(error); reconnecting with backoff")
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
        metrics.update {
            $0.connected = true; $0.lastError = nil
        }
        logger.info("redis source: \(url) list '\(list)' → index \(index.name)")
        let batch = MessageBatch(index: index, rejects: rejects, metrics: metrics, source: "redis")
        let source = "redis:\(list)"
        // Left over from a crash: stored again (at least once; logcollect's seq makes it a replace).
        if case .array(let leftover) = try c.command(["LRANGE", processingList, "0", "-1"]), !leftover.isEmpty {
            var messages = ReceivedMessages()
            for case .string(let b) in leftover { messages.append(b, origin: source) }
            try batch.store(messages)
            try c.expectOK(["DEL", processingList])
        }
        // The same rules as the RabbitMQ consumer's: a tag is the count of messages moved
        // into the processing list this session, and acknowledging up to a tag trims the
        // processing list's head of the messages before it, whose batches are durable.
        var session = ConsumerSession(configuration: configuration, stageName: "alco.redis.\(list).store")
        var moved: UInt64 = 0
        var trimmed: UInt64 = 0
        func acknowledge(upTo tag: UInt64, messages: Int) throws {
            if case .error(let e) = try c.command(["LTRIM", processingList, String(tag - trimmed), "-1"]) {
                throw CollectorError.broker("redis LTRIM: \(e)", code: 0)
            }
            trimmed = tag
            metrics.update { $0.acked += messages }
        }
        defer {
            if let due = session.finish() { try? acknowledge(upTo: due.upTo, messages: due.messages) }
        }
        var pending = ReceivedMessages()
        while !loop.isStopping {
            switch session.next() {
            case .acknowledge(let tag, let messages):
                try acknowledge(upTo: tag, messages: messages)
            case .checkDepth:
                if case .integer(let n) = try c.command(["LLEN", list]) {
                    metrics.update { $0.queueDepth = Int(n) }
                }
                session.depthChecked()
            case .submit(let lastTag, _):
                try session.submit(&pending, lastTag: lastTag, store: batch.store)
            case .receive(let timeout):
                // One blocking move (Redis takes its timeout in seconds; 0 would wait forever),
                // then what else is there, up to the batch's room, in one round trip.
                let seconds = String(format: "%.3f", Double(max(1, timeout)) / 1000)
                guard case .string(let first) = try c.command(["BLMOVE", list, processingList, "LEFT", "RIGHT", seconds]) else { continue }
                var count = 1
                pending.append(first, origin: source)
                let room = session.room - 1
                if room > 0 {
                    for case .string(let body) in try c.pipeline(Array(repeating: ["LMOVE", list, processingList, "LEFT", "RIGHT"], count: room)) {
                        pending.append(body, origin: source)
                        count += 1
                    }
                }
                moved += UInt64(count)
                session.received(messages: count, lastTag: moved)
            case .endSession:
                throw session.endError
            }
        }
    }
}
