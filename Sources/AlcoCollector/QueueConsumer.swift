import AlcoIndex
import AlcoIngest
import Foundation

/// Consumes one index's queue: declares the exchange, queue and bindings, takes deliveries in
/// batches, stores each batch durably, and only then acknowledges it. A lost connection or a
/// failed write leaves the batch unacknowledged, so the broker delivers it again.
final class QueueConsumer: @unchecked Sendable {
    struct Options: Sendable {
        var batchSize = 2048
        var maxBatchDelayMillis = 20
        /// Room for the batches in the storing stage and the one being received (the collector
        /// sets four batches), so the broker keeps delivering while they are stored.
        var prefetch: UInt16 = 8192
        var heartbeatSeconds = 30
        var maxBackoffSeconds = 30.0
    }

    let index: LogIndex
    let url: AMQPURL
    let exchange: String
    let rejects: RejectStore
    let metrics: CollectorMetrics
    let options: Options
    let log: @Sendable (String) -> Void
    private let loop = BackgroundLoop()

    init(index: LogIndex, url: AMQPURL, exchange: String, rejects: RejectStore, metrics: CollectorMetrics,
         options: Options, log: @escaping @Sendable (String) -> Void) {
        self.index = index
        self.url = url
        self.exchange = exchange
        self.rejects = rejects
        self.metrics = metrics
        self.options = options
        self.log = log
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
                    log("alco: collector \(index.name): \(text); retrying with backoff up to \(Int(options.maxBackoffSeconds)) s")
                    lastReported = text
                }
                loop.pause(backoff)
                backoff = min(backoff * 2, options.maxBackoffSeconds)
            }
        }
    }

    private func session(connected: () -> Void) throws {
        let settings = index.settings
        let connection = try AMQPConnection(url: url, heartbeatSeconds: options.heartbeatSeconds)
        defer { connection.close() }
        let declaredAsAsked = try connection.declareExchange(exchange, durable: settings.durable)
        if !declaredAsAsked {
            log("alco: collector \(index.name): exchange '\(exchange)' exists with other flags; using it as it is")
        }
        try connection.declareQueue(settings.queue, durable: settings.durable)
        for key in settings.routingKeys {
            try connection.bind(queue: settings.queue, exchange: exchange, routingKey: key)
        }
        try BindingLedger.unbindStale(index: index, exchange: exchange, current: settings.routingKeys) { key in
            try connection.unbind(queue: settings.queue, exchange: exchange, routingKey: key)
        }
        try connection.consume(queue: settings.queue, prefetch: options.prefetch)
        metrics.update { $0.connected = true; $0.lastError = nil }
        connected()
        log("alco: collector \(index.name): consuming '\(settings.queue)' from \(url), exchange '\(exchange)', keys \(settings.routingKeys.joined(separator: ","))")

        let batch = MessageBatch(index: index, rejects: rejects, metrics: metrics)
        let stage = StoringStage(name: "alco.amqp.\(index.name).store")
        // However the session ends, no store may still be running when the next one begins, and
        // what was stored is acknowledged while the connection may still carry it: a batch
        // stored but not acked comes back, and a message without `seq` would be stored twice.
        defer {
            stage.finish()
            try? acknowledgeStored(stage, on: connection)
        }
        let origins = OriginNames(prefix: "amqp:\(settings.queue):")
        var pending = ReceivedMessages()
        var lastTag: UInt64 = 0
        var firstPendingAt = Date()
        var depthCheckedAt = Date.distantPast
        while !isStopping {
            try acknowledgeStored(stage, on: connection)
            if Date().timeIntervalSince(depthCheckedAt) >= 5 {
                // The broker's count of messages not yet delivered: how far behind we are.
                let depth = try connection.messageCount(queue: settings.queue)
                metrics.update { $0.queueDepth = depth }
                depthCheckedAt = Date()
            }
            // Receive until the batch is full or its delay is up, or until nothing comes: the
            // acks and the depth above are per batch, not per message. While batches are being
            // stored, an idle wait is short so that their acks go out soon.
            let idleWait = stage.inFlight > 0 ? 2 : 200
            while pending.count < options.batchSize {
                let wait = pending.isEmpty ? idleWait : options.maxBatchDelayMillis - Int(Date().timeIntervalSince(firstPendingAt) * 1000)
                guard wait > 0, let tag = try connection.receive(into: &pending, timeoutMillis: wait, origin: origins.name) else { break }
                if pending.count == 1 { firstPendingAt = Date() }
                lastTag = tag
            }
            let due = pending.count >= options.batchSize
                || Date().timeIntervalSince(firstPendingAt) * 1000 >= Double(options.maxBatchDelayMillis)
            if !pending.isEmpty && due {
                let received = pending
                try stage.submit(lastTag: lastTag, messages: received.count) { try batch.store(received) }
                pending = ReceivedMessages(reservingBytes: received.bytes.count, messages: received.count)
            }
        }
        // Stopping: what was handed over is stored and acknowledged (above); what was received
        // but not handed over stays unacknowledged and is redelivered.
    }

    /// Acknowledges, with one `multiple` ack, every delivery whose batch is durable.
    private func acknowledgeStored(_ stage: StoringStage, on connection: AMQPConnection) throws {
        guard let stored = try stage.takeStored() else { return }
        try connection.ack(upTo: stored.lastTag)
        metrics.update { $0.acked += stored.messages }
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
