import Foundation

/// A consumer that only acknowledges: how fast the broker alone delivers on this machine, with
/// the collector's prefetch and acks (one `multiple` ack per batch) and nothing stored. The
/// benchmark sets it beside the collector's rate, so a broker-bound figure reads as one.
public final class AMQPDrain {
    private let connection: AMQPConnection

    public init(url: AMQPURL) throws { connection = try AMQPConnection(url: url) }

    /// Consumes `count` messages from `queue`, acknowledging each batch of the collector's
    /// size `ackDelay` seconds after its last message arrived (0: at once), as a collector that
    /// stores the batch meanwhile would; returns the seconds from the first delivery to the last
    /// acknowledgement. Gives up, with what it got, after `idleSeconds` without a delivery.
    public func drain(queue: String, count: Int, ackDelay: Double = 0, idleSeconds: Double = 10) throws -> (messages: Int, seconds: Double) {
        let options = QueueConsumer.Options()
        let batch = options.machine.batchSize
        try connection.consume(queue: queue, prefetch: options.prefetch)
        var received = 0
        var lastTag: UInt64 = 0
        var due: [(tag: UInt64, at: Date)] = []  // batches received, oldest first
        var unacked = ReceivedMessages()  // received as the collector does, dropped once due
        var first: Date?
        var lastDelivery = Date()
        func ackDue(all: Bool) throws {
            let now = Date()
            guard let k = due.lastIndex(where: { all || $0.at <= now }) else { return }
            try connection.ack(upTo: due[k].tag)
            due.removeFirst(k + 1)
        }
        while received < count {
            try ackDue(all: false)
            guard let tag = try connection.receive(into: &unacked, timeoutMillis: due.isEmpty ? 200 : 1, origin: { _ in "" }) else {
                if Date().timeIntervalSince(lastDelivery) > idleSeconds { break }
                continue
            }
            if first == nil { first = Date() }
            lastDelivery = Date()
            received += 1
            lastTag = tag
            if unacked.count >= batch {
                due.append((lastTag, Date().addingTimeInterval(ackDelay)))
                unacked.removeAll()
            }
        }
        if !unacked.isEmpty { due.append((lastTag, Date().addingTimeInterval(ackDelay))) }
        while !due.isEmpty {
            if let wait = due.last.map({ $0.at.timeIntervalSinceNow }), wait > 0 { usleep(useconds_t(wait * 1e6)) }
            try ackDue(all: true)
        }
        return (received, first.map { Date().timeIntervalSince($0) } ?? 0)
    }

    public func close() { connection.close() }
}
