import Foundation
import Synchronization
import Testing

@testable import AlcoCollector

@Suite struct StoringStageTests {
    struct DiskFull: Error {}

    /// Stores run one at a time in the order handed over, and what is reported stored covers
    /// every batch up to the newest, with their message counts summed.
    @Test func storesInOrderAndReportsTheNewestTag() throws {
        let stage = StoringStage(name: "test.store")
        let order = Mutex<[UInt64]>([])
        for tag in [UInt64(10), 20, 30] {
            try stage.submit(lastTag: tag, messages: 5) {
                usleep(tag == 10 ? 20_000 : 0)  // the first is slowest: the others still wait for it
                order.withLock { $0.append(tag) }
            }
        }
        stage.finish()
        #expect(order.withLock { $0 } == [10, 20, 30])
        let stored = try #require(try stage.takeStored())
        #expect(stored.lastTag == 30 && stored.messages == 15)
        #expect(try stage.takeStored() == nil, "taken once")
    }

    /// A failed store stops the stage: what was stored before it is still reported (and so
    /// acknowledged), nothing handed over after it is stored, and the failure surfaces.
    @Test func aFailureStopsStoringAndSurfacesAfterWhatWasStored() throws {
        let stage = StoringStage(name: "test.store")
        let ran = Mutex<[UInt64]>([])
        try stage.submit(lastTag: 1, messages: 2) { ran.withLock { $0.append(1) } }
        try stage.submit(lastTag: 2, messages: 2) {
            ran.withLock { $0.append(2) }
            throw DiskFull()
        }
        stage.finish()
        // The stage knows it failed: handing over more throws and stores nothing.
        #expect(throws: DiskFull.self) { try stage.submit(lastTag: 3, messages: 2) { ran.withLock { $0.append(3) } } }
        stage.finish()
        #expect(ran.withLock { $0 } == [1, 2])
        let stored = try #require(try stage.takeStored())
        #expect(stored.lastTag == 1 && stored.messages == 2, "only the batch before the failure")
        #expect(throws: DiskFull.self) { try stage.takeStored() }
    }

    /// Handing over waits while `maxWaiting` batches are in flight, so a slow disk holds the
    /// consumer back instead of piling batches up in memory.
    @Test func handingOverWaitsWhileTheStageIsFull() throws {
        let stage = StoringStage(name: "test.store", maxWaiting: 1)
        let release = DispatchSemaphore(value: 0)
        try stage.submit(lastTag: 1, messages: 1) { release.wait() }
        #expect(stage.inFlight == 1)
        let handedOver = Mutex(false)
        let second = Thread {
            try? stage.submit(lastTag: 2, messages: 1) {}
            handedOver.withLock { $0 = true }
        }
        second.start()
        // Observed, not timed: the second submitter is inside `submit`, blocked for room.
        while stage.blocked == 0 { usleep(1_000) }
        #expect(!handedOver.withLock { $0 }, "waits for the first store")
        #expect(stage.inFlight == 1)
        release.signal()
        while !handedOver.withLock({ $0 }) { usleep(1_000) }
        stage.finish()
        #expect(try stage.takeStored()?.lastTag == 2)
    }
}
