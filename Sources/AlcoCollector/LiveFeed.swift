import AlcoIndex
import AlcoIngest
import Foundation
import Synchronization

/// A copy of every message published for an index, as it is published: an exclusive,
/// auto-delete queue bound to the index's routing keys (the broker drops it when this
/// connection goes), read on a thread of its own into a bounded buffer that a live tail
/// drains. Messages are decoded as the collector decodes them; ids are those the nodes give
/// (from logcollect's `seq`) or, for lines without one, an id of the line's time.
public final class LiveFeed: Sendable {
    public struct Batch: Sendable {
        public var lines: [Document] = []
        /// Lines dropped because the tail fell behind by more than the buffer holds.
        public var missed = 0
    }

    fileprivate struct State {
        var pending = Batch()
        var failure: String?
        var sequence: UInt64 = 0
    }

    public static let capacity = 20_000
    private let loop = BackgroundLoop()
    private let shared = SharedState()

    /// Connects, declares and binds the queue and starts reading; throws if the broker
    /// cannot be reached or refuses.
    public init(url: AMQPURL, exchange: String, routingKeys: [String], producerZone: TimeZone) throws {
        let connection = try AMQPConnection(url: url)
        let queue = "alco.tail." + UUID().uuidString.lowercased()
        do {
            try connection.declarePrivateQueue(queue)
            for key in routingKeys { try connection.bind(queue: queue, exchange: exchange, routingKey: key) }
            try connection.consumeWithoutAcks(queue: queue)
        } catch {
            connection.close()
            throw error
        }
        var decoder = LogstashDecoder(producerZone: producerZone)
        decoder.requireTimestamp = true
        let box = ConnectionBox(connection)
        loop.start(name: "alco.tail.amqp") { [loop, shared, decoder] in
            defer { box.connection.close() }
            var messages = ReceivedMessages()
            while !loop.isStopping {
                do {
                    messages = ReceivedMessages()
                    guard try box.connection.receive(into: &messages, timeoutMillis: 200, origin: { _ in "" }) != nil else { continue }
                } catch {
                    shared.mutex.withLock { $0.failure = "\(error)" }
                    return
                }
                let now = Int64(Date().timeIntervalSince1970 * 1e6)
                messages.forEach { body, _ in
                    guard case .success(let doc) = decoder.decode(body, now: now) else { return }
                    let us = doc.microseconds ?? now
                    shared.mutex.withLock { s in
                        s.sequence &+= 1
                        let id =
                            doc.sequenceHint.map { DocumentID.make(microseconds: us, sequence: $0 % DocumentID.perMicrosecond) }
                            ?? DocumentID.make(microseconds: us, sequence: s.sequence % DocumentID.perMicrosecond)
                        // A tail that fell this far behind is told how many it missed.
                        guard s.pending.lines.count < LiveFeed.capacity else {
                            s.pending.missed += 1
                            return
                        }
                        s.pending.lines.append(Document(id: id, logline: doc.logline, js: doc.js))
                    }
                }
            }
        }
    }

    /// What arrived since the last call; throws once the broker connection has failed.
    public func drain() throws -> Batch {
        try shared.mutex.withLock { s in
            if s.pending.lines.isEmpty, let failure = s.failure {
                throw CollectorError.connection("the live tail's RabbitMQ connection ended: \(failure)")
            }
            defer { s.pending = Batch() }
            return s.pending
        }
    }

    /// Stops reading and closes the connection (the broker deletes the queue).
    public func close() { loop.stop() }

    deinit { loop.stop() }
}

/// The feed's buffer, shared by its reading thread and the tail that drains it.
private final class SharedState: Sendable {
    let mutex = Mutex(LiveFeed.State())
}

/// The connection, used by the feed's one thread only.
private final class ConnectionBox: @unchecked Sendable {
    let connection: AMQPConnection
    init(_ connection: AMQPConnection) { self.connection = connection }
}
