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
    private let stopLock = ConditionLock()
    private var stopping = false
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)

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

    var isStopping: Bool { stopLock.withLock { stopping } }

    func start() {
        let t = Thread { [self] in
            run()
            done.signal()
        }
        t.name = "alco.amqp.\(index.name)"
        thread = t
        t.start()
    }

    /// Asks the loop to end after its current batch, and waits for it.
    func stop() {
        stopLock.withLock { stopping = true }
        if thread != nil { done.wait() }
    }

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
                sleepUnlessStopping(backoff)
                backoff = min(backoff * 2, options.maxBackoffSeconds)
            }
        }
    }

    private func sleepUnlessStopping(_ seconds: Double) {
        let until = Date().addingTimeInterval(seconds)
        while !isStopping && Date() < until { usleep(50_000) }
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

        var decoder = LogstashDecoder(producerZone: TimeZone(identifier: settings.producerTimeZone) ?? TimeZone(identifier: "UTC")!)
        decoder.requireTimestamp = true
        var pending: [AMQPConnection.Delivery] = []
        var firstPendingAt = Date()
        var depthCheckedAt = Date.distantPast
        while !isStopping {
            if Date().timeIntervalSince(depthCheckedAt) >= 5 {
                // The broker's count of messages not yet delivered: how far behind we are.
                let depth = try connection.messageCount(queue: settings.queue)
                metrics.update { $0.queueDepth = depth }
                depthCheckedAt = Date()
            }
            let wait = pending.isEmpty ? 200 : max(1, options.maxBatchDelayMillis - Int(Date().timeIntervalSince(firstPendingAt) * 1000))
            if let d = try connection.next(timeoutMillis: wait) {
                if pending.isEmpty { firstPendingAt = Date() }
                pending.append(d)
                if pending.count < options.batchSize { continue }
            }
            guard !pending.isEmpty else { continue }
            if pending.count >= options.batchSize || Date().timeIntervalSince(firstPendingAt) * 1000 >= Double(options.maxBatchDelayMillis) {
                try store(pending, decoder: decoder)
                try connection.ack(upTo: pending.last!.deliveryTag)
                metrics.update { $0.acked += pending.count }
                pending.removeAll(keepingCapacity: true)
            }
        }
        // Stopping: what was received but not stored stays unacknowledged and is redelivered.
    }

    /// Decodes and stores a batch; returns once it is durable (WAL fsync, rejects synced).
    private func store(_ batch: [AMQPConnection.Delivery], decoder: LogstashDecoder) throws {
        let started = Date()
        let now = Int64(started.timeIntervalSince1970 * 1e6)
        var docs: [NewDocument] = []
        docs.reserveCapacity(batch.count)
        var rejected = 0
        for d in batch {
            let result = d.body.withUnsafeBytes { decoder.decode($0, now: now) }
            switch result {
            case .success(var doc):
                // logcollect's `seq` makes the id a function of the message, so a redelivered
                // message replaces itself instead of appearing twice.
                if let us = doc.microseconds, let seq = doc.sequenceHint {
                    doc.id = DocumentID.make(microseconds: us, sequence: seq % DocumentID.perMicrosecond)
                }
                docs.append(doc)
            case .failure(let rejection):
                rejected += 1
                try d.body.withUnsafeBytes {
                    try rejects.record(rejection, raw: $0, source: "amqp:\(index.settings.queue):\(d.routingKey)", line: nil, index: index.name)
                }
                metrics.update { $0.rejected[rejection.reason, default: 0] += 1 }
            }
        }
        if rejected > 0 { try rejects.sync() }
        if !docs.isEmpty { try index.append(docs, mode: .replace) }
        let millis = Date().timeIntervalSince(started) * 1000
        metrics.update {
            $0.received += batch.count
            $0.stored += docs.count
            $0.batches += 1
            $0.lastBatchMillis = millis
        }
    }
}
