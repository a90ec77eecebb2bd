import AlcoIndex
import AlcoIngest

/// Counters of one index's RabbitMQ source: what came in, what was stored, rejected (by
/// reason) and acknowledged, and how long batches took.
public final class CollectorMetrics: @unchecked Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var received = 0
        public var stored = 0
        public var rejected: [RejectReason: Int] = [:]
        public var acked = 0
        public var batches = 0
        public var lastBatchMillis = 0.0
        /// Messages waiting in the broker's queue (RabbitMQ) or list (Redis), as last seen.
        public var queueDepth = 0
        public var connected = false
        public var reconnects = 0
        public var lastError: String?
    }

    private let lock = ConditionLock()
    private var value = Snapshot()

    public init() {}

    public var snapshot: Snapshot { lock.withLock { value } }

    func update(_ change: (inout Snapshot) -> Void) { lock.withLock { change(&value) } }
}
