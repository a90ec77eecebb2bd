import Foundation
import Testing

@testable import AlcoIndex

/// A search cuts its segment list into days and decides what a whole day answers once per day:
/// the runs must be exactly the days' segments, in order, whatever part of a day the list holds.
struct DayRunTests {
    /// Segments 0 and 1 in day 1, 2 and 3 in day 2, 4 alone in day 3; 1,000 lines each.
    func threeDays() throws -> (Catalog, LogIndex, TemporaryDirectory) {
        let dir = TemporaryDirectory()
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.createIndex(IndexSettings(name: "logs", retentionDays: 100_000))
        for (k, dayOffset) in [0, 0, 1, 1, 2].enumerated() {
            let at = day1 + Int64(dayOffset) * 86_400_000_000 + Int64(k * 10_000)
            _ = try index.append((0..<1000).map { i in doc("line \(i) of \(k)", at: at + Int64(i)) })
            try index.flush()
        }
        return (catalog, index, dir)
    }

    func runs(_ list: [SegmentSnapshot]) -> [(Range<Int>, Bool)] {
        list.withUnsafeBufferPointer { DayRun.runs($0) }.map { ($0.segments, $0.holdsWholeDay) }
    }

    @Test func aSnapshotIsCutIntoItsDays() throws {
        let (catalog, index, dir) = try threeDays()
        defer { withExtendedLifetime(dir) {} }
        let all = try index.snapshot()
        #expect(all.count == 5)
        let whole = runs(all)
        #expect(whole.map(\.0) == [0..<2, 2..<4, 4..<5])
        #expect(whole.allSatisfy { $0.1 })

        // Part of a day: its run is what the list holds of it, and not the whole day.
        let partial = runs([all[0], all[2], all[3], all[4]])
        #expect(partial.map(\.0) == [0..<1, 1..<3, 3..<4])
        #expect(partial.map(\.1) == [false, true, true])
        // Out of day order (no snapshot lists it so): runs are still one day each.
        let shuffled = runs([all[0], all[2], all[1], all[4]])
        #expect(shuffled.map(\.0) == [0..<1, 1..<2, 2..<3, 3..<4])
        #expect(shuffled.map(\.1) == [false, false, false, true])
        // Segments outside an index are each a run of their own.
        let bare = runs(all.map { SegmentSnapshot(reader: $0.reader, deleted: $0.deleted) })
        #expect(bare.map(\.0) == (0..<5).map { $0..<$0 + 1 })
        #expect(!bare.contains { $0.1 })
        try catalog.close()
    }

    @Test func aRangeHoldsADayOnlyWhenItHoldsEverySegment() throws {
        let (catalog, index, dir) = try threeDays()
        defer { withExtendedLifetime(dir) {} }
        let all = try index.snapshot()
        let dayRuns = all.withUnsafeBufferPointer { DayRun.runs($0) }
        func overlapping(_ range: ClosedRange<UInt64>) -> [Bool] {
            all.withUnsafeBufferPointer { b in dayRuns.map { $0.allOverlap(range, in: b) } }
        }
        #expect(overlapping(0...UInt64.max) == [true, true, true])
        // From the 11th line of day 2's second segment on: day 2's first segment is out.
        let cut = all[3].reader.id(10)
        #expect(overlapping(cut...UInt64.max) == [false, false, true])
        // Up to day 2's first segment: day 2 still overlaps in both (ranges need not hold them).
        #expect(overlapping(0...all[3].minID) == [true, true, false])

        // Every line counted and paged, from both edges, with a range cutting day 2.
        var r = SearchRequest(limit: 5, countTotal: true)
        r.ids = IDBounds(cut, UInt64.max)
        let found = try index.search(r)
        #expect(found.totalFound == 990 + 1000)
        r.order = .idAscending
        let oldest = try index.search(r)
        #expect(oldest.hits.first?.id == cut)
        try catalog.close()
    }
}
