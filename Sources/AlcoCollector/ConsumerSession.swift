/// One session of a consumer, as both sources run it: the state machine fed with the clock and
/// with what the storing stage reports, and the stage itself. The source supplies the I/O for
/// each action (receive, ack, depth) and submits batches through `submit`.
struct ConsumerSession {
    private(set) var machine: ConsumerStateMachine
    let stage: StoringStage
    private var failure: (any Error)?

    init(configuration: ConsumerStateMachine.Configuration, stageName: String) {
        machine = ConsumerStateMachine(configuration: configuration)
        stage = StoringStage(name: stageName)
    }

    /// What to do now, once the machine knows what the stage stored or failed since last asked.
    /// The stage is asked between batches only (nothing received and not yet handed over), so
    /// a batch's deliveries come in without a lock each; its acknowledgement waits at most
    /// one batch delay.
    mutating func next() -> ConsumerStateMachine.Action {
        if machine.batchesInFlight > 0 && machine.pending == 0 {
            do {
                if let stored = try stage.takeStored() { machine.stored(upTo: stored.lastTag) }
            } catch {
                machine.storeFailed()
                failure = error
            }
        }
        return machine.next(now: Monotonic.milliseconds())
    }

    /// The store failure that `.endSession` reports.
    var endError: any Error { failure ?? CollectorError.connection("a store failed") }

    /// Room for more messages in the batch being received.
    var room: Int { machine.room }

    mutating func received(messages: Int, lastTag: UInt64) {
        machine.received(messages: messages, lastTag: lastTag, now: Monotonic.milliseconds())
    }

    mutating func depthChecked() { machine.depthChecked(now: Monotonic.milliseconds()) }

    /// Hands what was received over to be stored, as the batch the machine just asked to
    /// submit, and starts `pending` afresh (sized like the batch it held).
    func submit(_ pending: inout ReceivedMessages, lastTag: UInt64, store: @escaping @Sendable (ReceivedMessages) throws -> Void) throws {
        let batch = pending
        pending = ReceivedMessages(reservingBytes: batch.bytes.count, messages: batch.count)
        try stage.submit(lastTag: lastTag, messages: batch.count) { try store(batch) }
    }

    /// The end of a session, however it ends: waits until no store runs, and returns the
    /// acknowledgement still due for what became durable, so the source can send it while its
    /// connection may still carry it (a batch stored but not acknowledged comes back).
    mutating func finish() -> (upTo: UInt64, messages: Int)? {
        stage.finish()
        guard let stored = try? stage.takeStored() else { return nil }
        machine.stored(upTo: stored.lastTag)
        if case .acknowledge(let tag, let messages) = machine.next(now: Monotonic.milliseconds()) { return (tag, messages) }
        return nil
    }
}
