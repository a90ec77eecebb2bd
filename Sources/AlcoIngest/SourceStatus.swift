/// What one source of messages (a RabbitMQ queue, a Redis list) has done for an index: what
/// came in, what was stored, rejected (by reason) and acknowledged, and whether it is
/// connected (how long batches take is the `alco_ingest_batch_duration_seconds` histogram). The collector fills it; `/metrics` and `/health` read it.
public struct SourceStatus: Sendable, Equatable {
    public var received = 0
    public var stored = 0
    public var rejected: [RejectReason: Int] = [:]
    public var acked = 0
    public var batches = 0
    /// Messages waiting in the broker's queue (RabbitMQ) or list (Redis), as last seen.
    public var queueDepth = 0
    public var connected = false
    public var reconnects = 0
    public var lastError: String?

    public init() {}
}
