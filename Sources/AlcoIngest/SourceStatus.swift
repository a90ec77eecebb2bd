/// What one source of messages (a RabbitMQ queue, a Redis list) has done for an index: what
/// came in, what was stored, rejected (by reason) and acknowledged, how long batches took,
/// and whether it is connected. The collector fills it; `/metrics` and `/health` read it.
public struct SourceStatus: Sendable, Equatable {
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

    public init() {}
}
