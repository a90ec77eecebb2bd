import Testing

@testable import AlcoCollector

/// The consumer's decisions, without a broker: when batches are handed over, when and up to
/// where deliveries are acknowledged, and what a failed store does.
@Suite struct ConsumerStateMachineTests {
    typealias Machine = ConsumerStateMachine

    func machine(batchSize: Int = 3, delay: Int = 20) -> Machine {
        var c = Machine.Configuration()
        c.batchSize = batchSize
        c.maxBatchDelayMillis = delay
        c.depthCheckIntervalMillis = 5000
        var m = Machine(configuration: c)
        // Every session starts by asking the depth.
        #expect(m.next(now: 0) == .checkDepth)
        m.depthChecked(now: 0)
        return m
    }

    @Test func idleItWaitsLongAndAsksTheDepthEveryInterval() {
        var m = machine()
        #expect(m.next(now: 10) == .receive(timeoutMillis: 200))
        #expect(m.next(now: 4999) == .receive(timeoutMillis: 200))
        #expect(m.next(now: 5000) == .checkDepth)
        m.depthChecked(now: 5000)
        #expect(m.next(now: 5001) == .receive(timeoutMillis: 200))
    }

    @Test func aFullBatchIsHandedOverAtOnce() {
        var m = machine(batchSize: 3)
        m.received(messages: 1, lastTag: 1, now: 100)
        #expect(m.next(now: 100) == .receive(timeoutMillis: 20))
        m.received(messages: 2, lastTag: 3, now: 101)
        #expect(m.next(now: 101) == .submit(lastTag: 3, messages: 3))
        #expect(m.pending == 0 && m.batchesInFlight == 1)
        // While it is stored, an idle wait is short so its ack goes out soon.
        #expect(m.next(now: 102) == .receive(timeoutMillis: 2))
    }

    @Test func aPartBatchWaitsOnlyTheBatchDelayFromItsFirstMessage() {
        var m = machine(batchSize: 100, delay: 20)
        m.received(messages: 1, lastTag: 7, now: 1000)
        #expect(m.next(now: 1005) == .receive(timeoutMillis: 15))
        m.received(messages: 1, lastTag: 8, now: 1015)
        #expect(m.next(now: 1019) == .receive(timeoutMillis: 1))
        #expect(m.next(now: 1020) == .submit(lastTag: 8, messages: 2))
    }

    @Test func acknowledgementsFollowStoresInOrderAndCoverRunsOfBatches() {
        var m = machine(batchSize: 2)
        m.received(messages: 2, lastTag: 2, now: 0)
        #expect(m.next(now: 0) == .submit(lastTag: 2, messages: 2))
        m.received(messages: 2, lastTag: 4, now: 1)
        #expect(m.next(now: 1) == .submit(lastTag: 4, messages: 2))
        m.received(messages: 2, lastTag: 6, now: 2)
        #expect(m.next(now: 2) == .submit(lastTag: 6, messages: 2))
        // The stage reports the first two durable at once: one ack for both.
        m.stored(upTo: 4)
        #expect(m.next(now: 3) == .acknowledge(upTo: 4, messages: 4))
        #expect(m.batchesInFlight == 1)
        // A stale report changes nothing.
        m.stored(upTo: 4)
        #expect(m.next(now: 4) == .receive(timeoutMillis: 2))
        m.stored(upTo: 6)
        #expect(m.next(now: 5) == .acknowledge(upTo: 6, messages: 2))
        #expect(m.next(now: 6) == .receive(timeoutMillis: 200))
    }

    @Test func aFailedStoreEndsTheSessionAfterAcknowledgingWhatWasDurable() {
        var m = machine(batchSize: 1)
        m.received(messages: 1, lastTag: 1, now: 0)
        #expect(m.next(now: 0) == .submit(lastTag: 1, messages: 1))
        m.received(messages: 1, lastTag: 2, now: 0)
        #expect(m.next(now: 0) == .submit(lastTag: 2, messages: 1))
        m.stored(upTo: 1)
        m.storeFailed()
        #expect(m.next(now: 1) == .acknowledge(upTo: 1, messages: 1))
        m.received(messages: 1, lastTag: 3, now: 1)
        #expect(m.next(now: 2) == .endSession)
        #expect(m.next(now: 3) == .endSession, "nothing is handed over or acknowledged after a failure")
    }

    /// Random arrivals, store completions and clock steps against what must always hold:
    /// acknowledgements only of durable batches, in order, each delivery exactly once; no
    /// batch above the batch size; no message held past its delay; nothing lost.
    @Test func randomSessionsKeepEveryRule() {
        var random = SplitMix(seed: 0xA1C0)
        for _ in 0..<300 {
            let batchSize = Int(random.next() % 8) + 1
            let delay = Int(random.next() % 30) + 1
            var m = machine(batchSize: batchSize, delay: delay)
            var now: Int64 = 0
            var tag: UInt64 = 0
            var submitted: [(lastTag: UInt64, messages: Int)] = []
            var durableUpTo: UInt64 = 0
            var acked: UInt64 = 0
            var ackedMessages = 0
            var oldestPendingAt: Int64?
            for _ in 0..<200 {
                now += Int64(random.next() % 8)
                switch random.next() % 4 {
                case 0, 1:
                    let n = Int(random.next() % UInt64(m.room + 1))
                    if n > 0 {
                        if m.pending == 0 { oldestPendingAt = now }
                        tag += UInt64(n)
                        m.received(messages: n, lastTag: tag, now: now)
                    }
                case 2:
                    // The stage stores some batches, oldest first.
                    if let k = submitted.indices.randomElement(using: &random) {
                        durableUpTo = max(durableUpTo, submitted[k].lastTag)
                        m.stored(upTo: durableUpTo)
                    }
                default: break
                }
                switch m.next(now: now) {
                case .submit(let lastTag, let messages):
                    #expect(messages >= 1 && messages <= batchSize)
                    #expect(lastTag == tag && lastTag - (submitted.last?.lastTag ?? 0) == UInt64(messages))
                    submitted.append((lastTag, messages))
                    oldestPendingAt = nil
                case .acknowledge(let upTo, let messages):
                    #expect(upTo > acked && upTo <= durableUpTo, "only durable deliveries, in order")
                    #expect(UInt64(messages) == upTo - acked, "each delivery once")
                    acked = upTo
                    ackedMessages += messages
                case .receive(let timeout):
                    #expect(timeout >= 1)
                    if let since = oldestPendingAt {
                        #expect(now - since < Int64(delay), "a due batch is handed over, not waited on")
                        #expect(Int64(timeout) <= Int64(delay) - (now - since))
                    }
                case .checkDepth:
                    m.depthChecked(now: now)
                case .endSession:
                    Issue.record("no store failed")
                }
            }
            // Drain: time passes, every batch becomes durable, and all of it is acknowledged.
            now += Int64(delay)
            for _ in 0..<8 {
                switch m.next(now: now) {
                case .submit(let lastTag, let messages): submitted.append((lastTag, messages))
                case .acknowledge(let upTo, let messages):
                    #expect(upTo > acked && upTo <= durableUpTo)
                    acked = upTo
                    ackedMessages += messages
                case .checkDepth: m.depthChecked(now: now)
                default: break
                }
                m.stored(upTo: tag)
                durableUpTo = tag
            }
            #expect(acked == tag && ackedMessages == Int(tag), "nothing received is left unacknowledged")
        }
    }
}

/// A small seeded generator, so a failing case repeats.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
