import Foundation
import Testing

@testable import AlcoIndex

/// The arrival log a live tail follows: arrival order, not id order, and bounded.
@Suite struct ArrivalLogTests {
    @Test func keepsArrivalOrderAndReportsWhatFellOff() {
        var log = ArrivalLog(capacity: 4)
        log.record([30, 10])
        log.record([20])
        #expect(log.since(0, limit: 10) == Arrivals(ids: [30, 10, 20], next: 3, missed: 0))
        #expect(log.since(1, limit: 1) == Arrivals(ids: [10], next: 2, missed: 0))
        #expect(log.since(3, limit: 10) == Arrivals(ids: [], next: 3, missed: 0))
        log.record([40, 50, 60])
        #expect(log.since(0, limit: 10) == Arrivals(ids: [20, 40, 50, 60], next: 6, missed: 2))
    }

    @Test func indexRecordsAppendsInTheOrderTheyBecameSearchable() throws {
        let dir = NSTemporaryDirectory() + "alco-arrivals-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = EngineOptions()
        options.backgroundMaintenance = false
        let catalog = try Catalog(directory: dir, options: options)
        let index = try catalog.createIndex(IndexSettings(name: "t"))
        let start = index.arrivalSequence
        // A late line: its time is older than the one before it.
        let late = try index.append([NewDocument(microseconds: 2_000_000, logline: "new")])
        let early = try index.append([NewDocument(microseconds: 1_000_000, logline: "late but old")])
        let arrived = index.arrivals(since: start, limit: 10)
        #expect(arrived.ids == late + early && arrived.next == start + 2)
        try catalog.close()
    }
}
