import AlcoIndex
import AlcoIngest
import Foundation
import Logging

/// The RabbitMQ side of `alco serve`: consumers for every index (its `consumers` setting, else
/// `consumersPerIndex`), each on its own connection, and a summary line per minute like ALCO's
/// collector printed.
public final class Collector: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var url: AMQPURL
        public var exchange = "logstash"
        public var consumersPerIndex = 1
        public var batchSize = 2048
        public var summaryInterval: TimeInterval = 60
        /// Every queue declared durable, whatever its index says: nodes of a cluster share
        /// each queue as competing consumers, and a broker restart must not take it away.
        public var durableQueues = false

        public init(url: AMQPURL) { self.url = url }
    }

    public let catalog: Catalog
    public let configuration: Configuration
    public let rejects: RejectStore
    private let logger: Logger
    private var consumers: [QueueConsumer] = []
    private var metricsByIndex: [String: CollectorMetrics] = [:]
    private var summaryTimer: (any DispatchSourceTimer)?

    /// - Parameter rejects: the server's one rejects store, shared by every source.
    public init(catalog: Catalog, configuration: Configuration, rejects: RejectStore, logger: Logger) {
        self.catalog = catalog
        self.configuration = configuration
        self.rejects = rejects
        self.logger = logger
    }

    private let lock = ConditionLock()

    public var metrics: [String: SourceStatus] { lock.withLock { metricsByIndex }.mapValues(\.snapshot) }

    public func start() {
        for index in catalog.indexes { consume(index) }
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + configuration.summaryInterval, repeating: configuration.summaryInterval)
        var last: [String: SourceStatus] = [:]
        timer.setEventHandler { [self] in
            for (name, m) in lock.withLock({ metricsByIndex }).sorted(by: { $0.key < $1.key }) {
                let now = m.snapshot
                let before = last[name] ?? SourceStatus()
                last[name] = now
                let byReason = now.rejected.map { ($0.key, $0.value - (before.rejected[$0.key] ?? 0)) }.filter { $0.1 > 0 }
                let rejected = byReason.reduce(0) { $0 + $1.1 }
                let reasons =
                    byReason.isEmpty
                    ? ""
                    : " ("
                        + byReason.sorted { $0.0.rawValue < $1.0.rawValue }
                        .map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ") + ")"
                let line =
                    "collector \(name): \(now.received - before.received) received, \(now.stored - before.stored) stored, "
                    + "\(rejected) rejected\(reasons), \(now.acked - before.acked) acked in the last \(Int(configuration.summaryInterval)) s; "
                    + (now.connected ? "connected" : "disconnected (\(now.lastError ?? "?"))")
                logger.info("\(line)")
            }
        }
        timer.resume()
        summaryTimer = timer
    }

    /// Starts consuming for an index, at start or when one is created while running.
    public func consume(_ index: LogIndex) {
        var options = QueueConsumer.Options()
        options.machine.batchSize = configuration.batchSize
        options.prefetch = UInt16(min(65535, configuration.batchSize * 4))
        options.durableQueues = configuration.durableQueues
        let m = CollectorMetrics()
        // A binding settings.json spells wrongly still gets one consumer, whose sessions report it.
        let asked = (try? QueueBinding(index.settings))?.consumers
        let started = (0..<max(1, asked ?? configuration.consumersPerIndex)).map { _ in
            QueueConsumer(
                index: index, url: configuration.url, exchange: configuration.exchange, rejects: rejects,
                metrics: m, options: options, logger: logger)
        }
        lock.withLock {
            metricsByIndex[index.name] = m
            consumers.append(contentsOf: started)
        }
        started.forEach { $0.start() }
    }

    /// Stops the consumers of a dropped index; what they had not acked goes back to the broker.
    public func forget(indexNamed name: String) {
        let leaving = lock.withLock { () -> [QueueConsumer] in
            metricsByIndex[name] = nil
            let (gone, kept) = (consumers.filter { $0.index.name == name }, consumers.filter { $0.index.name != name })
            consumers = kept
            return gone
        }
        stopAll(leaving)
    }

    /// Stops consuming; unacknowledged deliveries go back to the broker.
    public func stop() {
        summaryTimer?.cancel()
        stopAll(
            lock.withLock { () -> [QueueConsumer] in
                defer { consumers = [] }
                return consumers
            })
    }

    private func stopAll(_ all: [QueueConsumer]) {
        let group = DispatchGroup()
        for c in all {
            DispatchQueue.global().async(group: group) { c.stop() }
        }
        group.wait()
    }
}

/// Publishes messages over one connection (benchmarks and tools; the collector only consumes).
public final class AMQPPublisher {
    private let connection: AMQPConnection

    public init(url: AMQPURL) throws { connection = try AMQPConnection(url: url) }

    public func declare(exchange: String, durable: Bool = false) throws {
        _ = try connection.declareExchange(exchange, durable: durable)
    }

    public func declare(queue: String, boundTo exchange: String, routingKey: String, durable: Bool = false) throws {
        try connection.declareQueue(queue, durable: durable)
        try connection.bind(queue: queue, exchange: exchange, routingKey: routingKey)
    }

    public func publish(exchange: String, routingKey: String, body: UnsafeRawBufferPointer) throws {
        try connection.publish(exchange: exchange, routingKey: routingKey, body: body)
    }

    public func messageCount(queue: String) throws -> Int { try connection.messageCount(queue: queue) }

    public func close() { connection.close() }
}
