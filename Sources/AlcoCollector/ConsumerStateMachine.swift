/// What a consumer of a message source does next, decided from what has happened to it:
/// deliveries received, time passing, batches stored or failed. It does no I/O and reads no
/// clock, so each decision is unit-tested without a broker; the RabbitMQ consumer and the
/// Redis list source each run it against their own connection, handing batches to a
/// `StoringStage` and acknowledging what it reports durable.
///
/// The rules it keeps: a delivery is acknowledged only once its batch and every batch before
/// it are durable; acknowledgements go out in delivery order, one per run of stored batches;
/// a batch is handed over when full or when its first message has waited the batch delay;
/// after a failed store nothing more is handed over or acknowledged, and the session ends so
/// that the source delivers again what was not acknowledged.
struct ConsumerStateMachine {
    struct Configuration: Sendable {
        var batchSize = 2048
        /// The longest a received message waits to be handed over in a batch.
        var maxBatchDelayMillis = 20
        /// How often the source is asked how many messages wait (the lag `/metrics` shows).
        var depthCheckIntervalMillis = 5000
        /// How long to wait for a first delivery when nothing is in flight; while batches are
        /// being stored, a short wait, so that their acknowledgements go out soon.
        var idleWaitMillis = 200
        var busyIdleWaitMillis = 2
    }

    enum Action: Equatable {
        /// Acknowledge every delivery up to and including `upTo` (`messages` of them).
        case acknowledge(upTo: UInt64, messages: Int)
        /// Ask the source how many messages wait, then report `depthChecked`.
        case checkDepth
        /// Hand the received messages over to be stored, as one batch whose last delivery is
        /// `lastTag`; they are the machine's no longer.
        case submit(lastTag: UInt64, messages: Int)
        /// Wait up to `timeoutMillis` for deliveries, then report `received` or nothing.
        case receive(timeoutMillis: Int)
        /// A store failed: end the session without acknowledging anything more.
        case endSession
    }

    let configuration: Configuration
    /// Messages received and not yet handed over.
    private(set) var pending = 0
    private var pendingLastTag: UInt64 = 0
    private var firstPendingAt: Int64 = 0
    private var depthCheckedAt: Int64?
    /// Batches handed over and not yet durable, oldest first.
    private var inFlight: [(lastTag: UInt64, messages: Int)] = []
    /// Durable and not yet acknowledged.
    private var durable: (lastTag: UInt64, messages: Int)?
    private var failed = false

    init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Batches handed over and not yet reported stored.
    var batchesInFlight: Int { inFlight.count }

    /// `messages` arrived, the last with `lastTag` (tags grow with each delivery).
    mutating func received(messages: Int, lastTag: UInt64, now: Int64) {
        guard messages > 0 else { return }
        if pending == 0 { firstPendingAt = now }
        pending += messages
        pendingLastTag = lastTag
    }

    /// Every batch handed over whose last tag is at most `lastTag` is durable. A tag that
    /// names no batch in flight (stale, or from another session) changes nothing.
    mutating func stored(upTo lastTag: UInt64) {
        var messages = 0
        var newest: UInt64?
        while let first = inFlight.first, first.lastTag <= lastTag {
            messages += first.messages
            newest = first.lastTag
            inFlight.removeFirst()
        }
        guard let newest else { return }
        durable = (newest, (durable?.messages ?? 0) + messages)
    }

    mutating func storeFailed() { failed = true }

    mutating func depthChecked(now: Int64) { depthCheckedAt = now }

    /// The next thing to do at time `now` (milliseconds on a monotonic clock).
    mutating func next(now: Int64) -> Action {
        if let d = durable {
            durable = nil
            return .acknowledge(upTo: d.lastTag, messages: d.messages)
        }
        if failed { return .endSession }
        if depthCheckedAt.map({ now - $0 >= Int64(configuration.depthCheckIntervalMillis) }) ?? true {
            return .checkDepth
        }
        if pending > 0 {
            let waited = now - firstPendingAt
            if pending >= configuration.batchSize || waited >= Int64(configuration.maxBatchDelayMillis) {
                let batch = (lastTag: pendingLastTag, messages: pending)
                inFlight.append(batch)
                pending = 0
                return .submit(lastTag: batch.lastTag, messages: batch.messages)
            }
            return .receive(timeoutMillis: max(1, configuration.maxBatchDelayMillis - Int(max(0, waited))))
        }
        return .receive(timeoutMillis: inFlight.isEmpty ? configuration.idleWaitMillis : configuration.busyIdleWaitMillis)
    }

    /// Room for more in the batch being received.
    var room: Int { max(0, configuration.batchSize - pending) }
}
