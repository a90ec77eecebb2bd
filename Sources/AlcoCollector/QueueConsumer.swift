import AlcoIndex
import AlcoIngest
import Foundation
import Logging

/// Consumes one index's queue: declares the exchange, queue and bindings, takes deliveries in
/// batches, stores each batch durably, and only then acknowledges it. A lost connection or a
/// failed write leaves the batch unacknowledged, so the broker delivers it again.
final class QueueConsumer: @unchecked Sendable {
    struct Options: Sendable {
        /// Batch size and delay, and how often the queue's depth is asked.
        var machine = ConsumerStateMachine.Configuration()
        /// Room for the batches in the storing stage and the one being received (the collector
        /// sets four batches), so the broker keeps delivering while they are stored.
        var prefetch: UInt16 = 8192
        var heartbeatSeconds = 30
        var maxBackoffSeconds = 30.0
        /// Declare the queue durable whatever the binding says (cluster nodes).
        var durableQueues = false
    }

    let index: LogIndex
    let url: AMQPURL
    let exchange: String
    let rejects: RejectStore
    let metrics: CollectorMetrics
    let options: Options
    let logger: Logger
    private let loop = BackgroundLoop()

    init(
        index: LogIndex, url: AMQPURL, exchange: String, rejects: RejectStore, metrics: CollectorMetrics,
        options: Options, logger: Logger
    ) {
        self.index = index
        self.url = url
        self.exchange = exchange
        self.rejects = rejects
        self.metrics = metrics
        self.options = options
        self.logger = logger
    }

    var isStopping: Bool { loop.isStopping }

    func start() { loop.start(name: "alco.amqp.\(index.name)") { [self] in run() } }

    /// Asks the loop to end after its current batch, and waits for it.
    func stop() { loop.stop() }

    private func run() {
        var backoff = 0.5
        var lastReported = ""
        while !isStopping {
            do {
                try session { backoff = 0.5 }
            } catch {
                metrics.update {
                    $0.connected = false
                    $0.reconnects += 1
                    $0.lastError = "\(error)"
                }
                let text = "\(error)"
                if text != lastReported {
                    logger.warning("collector \(index.name): \(text); retrying with backoff up to \(Int(options.maxBackoffSeconds)) s")
                    lastReported = text
                }
                loop.pause(backoff)
                backoff = min(backoff * 2, options.maxBackoffSeconds)
            }
        }
    }

    private func session(connected: () -> Void) throws {
        var binding = try QueueBinding(index.settings)
        if options.durableQueues { binding.durable = true }
        let connection = try AMQPConnection(url: url, heartbeatSeconds: options.heartbeatSeconds)
        defer { connection.close() }
        let declaredAsAsked = try connection.declareExchange(exchange, durable: binding.durable)
        if !declaredAsAsked {
            logger.notice("collector \(index.name): exchange '\(exchange)' exists with other flags; using it as it is")
        }
        try connection.declareQueue(binding.queue, durable: binding.durable)
        for key in binding.routingKeys {
            try connection.bind(queue: binding.queue, exchange: exchange, routingKey: key)
        }
        try BindingLedger.unbindStale(index: index, exchange: exchange, current: binding.routingKeys) { key in
            try connection.unbind(queue: binding.queue, exchange: exchange, routingKey: key)
        }
        try connection.consume(queue: binding.queue, prefetch: options.prefetch)
        metrics.update {
            $0.connected = true; $0.lastError = nil
        }
        connected()
        logger.info("collector \(index.name): consuming '\(binding.queue)' from \(url), exchange '\(exchange)', keys \(binding.routingKeys.joined(separator: ","))")

        let batch = MessageBatch(index: index, rejects: rejects, metrics: metrics, source: "amqp")
        var latency = AckLatency(index: index.name)
        var session = ConsumerSession(configuration: options.machine, stageName: "alco.amqp.\(index.name).store")
        // However the session ends, no store may still be running when the next one begins, and
        // what was stored is acknowledged while the connection may still carry it: a batch
        // stored but not acked comes back, and a message without `seq` would be stored twice.
        defer {
            if let due = session.finish(), (try? acknowledge(upTo: due.upTo, messages: due.messages, on: connection)) != nil {
                latency.acknowledged(upTo: due.upTo)
            }
        }
        let origins = OriginNames(prefix: "amqp:\(binding.queue):")
        var pending = ReceivedMessages()
        while !isStopping {
            switch session.next() {
            case .acknowledge(let tag, let messages):
                try acknowledge(upTo: tag, messages: messages, on: connection)
                latency.acknowledged(upTo: tag)
            case .checkDepth:
                // The broker's count of messages not yet delivered: how far behind we are.
                let depth = try connection.messageCount(queue: binding.queue)
                metrics.update { $0.queueDepth = depth }
                session.depthChecked()
            case .submit(let lastTag, _):
                try session.submit(&pending, lastTag: lastTag, store: batch.store)
                latency.submitted(lastTag: lastTag)
            case .receive(let timeout):
                if let tag = try connection.receive(into: &pending, timeoutMillis: timeout, origin: origins.name) {
                    session.received(messages: 1, lastTag: tag)
                    latency.received()
                }
            case .endSession:
                throw session.endError
            }
        }
        // Stopping: what was handed over is stored and acknowledged (above); what was received
        // but not handed over stays unacknowledged and is redelivered.
    }

    /// Acknowledges, with one `multiple` ack, every delivery up to `tag`: their batches are durable.
    private func acknowledge(upTo tag: UInt64, messages: Int, on connection: AMQPConnection) throws {
        try connection.ack(upTo: tag)
        metrics.update { $0.acked += messages }
    }
}

/// "amqp:<queue>:<routing key>" for the rejects store, made once per run of messages with the
/// same routing key rather than once per message.
private final class OriginNames {
    let prefix: String
    private var lastKey: [UInt8] = []
    private var last: String

    init(prefix: String) {
        self.prefix = prefix
        last = prefix
    }

    func name(_ routingKey: UnsafeRawBufferPointer) -> String {
        if !routingKey.elementsEqual(lastKey) {
            lastKey = Array(routingKey)
            last = prefix + String(decoding: routingKey, as: UTF8.self)
        }
        return last
    }
}
