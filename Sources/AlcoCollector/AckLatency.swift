import CoreMetrics
import Dispatch

/// RabbitMQ's consume-to-ack time, as `alco_amqp_consume_to_ack_seconds{index}`: from the
/// first message of a batch arriving to the ack that covers it (stored durably in between).
/// This is how long a message stays unacknowledged with the broker, the figure that decides
/// how much a crash makes it redeliver.
struct AckLatency {
    private let timer: CoreMetrics.Timer
    /// When the oldest message not yet handed to the store arrived.
    private var firstReceived: UInt64?
    /// Batches handed to the store and not yet acknowledged: their last delivery tag and when
    /// their first message arrived, in delivery order.
    private var awaiting: [(lastTag: UInt64, firstReceived: UInt64)] = []

    init(index: String, factory: any MetricsFactory = MetricsSystem.factory) {
        timer = CoreMetrics.Timer(label: "alco_amqp_consume_to_ack_seconds", dimensions: [("index", index)], factory: factory)
    }

    mutating func received() {
        if firstReceived == nil { firstReceived = DispatchTime.now().uptimeNanoseconds }
    }

    mutating func submitted(lastTag: UInt64) {
        guard let first = firstReceived else { return }
        awaiting.append((lastTag, first))
        firstReceived = nil
    }

    /// One `multiple` ack up to `tag`: every batch it covers is done.
    mutating func acknowledged(upTo tag: UInt64) {
        let now = DispatchTime.now().uptimeNanoseconds
        var done = 0
        while done < awaiting.count && awaiting[done].lastTag <= tag {
            timer.recordNanoseconds(Int64(clamping: now &- awaiting[done].firstReceived))
            done += 1
        }
        awaiting.removeFirst(done)
    }
}
