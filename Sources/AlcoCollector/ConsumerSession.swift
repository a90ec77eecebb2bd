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
    mutating func next() -> ConsumerStateMachine.Action {
        if machine.batchesInFlight > 0 {
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

    /// Hands `messages` over to be stored as the batch the machine just asked to submit.
    func submit(_ messages: ReceivedMessages, lastTag: UInt64, store: @escaping @Sendable (ReceivedMessages) throws -> Void) throws {
        try stage.submit(lastTag: lastTag, messages: messages.count) { try store(messages) }
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
