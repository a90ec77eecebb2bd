import Foundation

/// A consumer that only acknowledges: how fast the broker alone delivers on this machine, with
/// the collector's prefetch and acks (one `multiple` ack per batch) and nothing stored. The
/// benchmark sets it beside the collector's rate, so a broker-bound figure reads as one.
public final class AMQPDrain {
    private let connection: AMQPConnection

    public init(url: AMQPURL) throws { connection = try AMQPConnection(url: url) }

    /// Consumes `count` messages from `queue`, acknowledging each batch of the collector's
    /// size; returns the seconds from the first delivery to the last acknowledgement. Gives
    /// up, with what it got, after `idleSeconds` without a delivery.
    public func drain(queue: String, count: Int, idleSeconds: Double = 10) throws -> (messages: Int, seconds: Double) {
        let options = QueueConsumer.Options()
        let batch = options.batchSize
        try connection.consume(queue: queue, prefetch: options.prefetch)
        var received = 0
        var unacked = 0
        var lastTag: UInt64 = 0
        var first: Date?
        var lastDelivery = Date()
        while received < count {
            guard let d = try connection.next(timeoutMillis: 200) else {
                if Date().timeIntervalSince(lastDelivery) > idleSeconds { break }
                continue
            }
            if first == nil { first = Date() }
            lastDelivery = Date()
            received += 1
            unacked += 1
            lastTag = d.deliveryTag
            if unacked >= batch {
                try connection.ack(upTo: lastTag)
                unacked = 0
            }
        }
        if unacked > 0 { try connection.ack(upTo: lastTag) }
        return (received, first.map { Date().timeIntervalSince($0) } ?? 0)
    }

    public func close() { connection.close() }
}
