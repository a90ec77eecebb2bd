import Foundation
import Testing

@testable import AlcoIndex

@Suite struct MergePolicyTests {
    let policy = MergePolicy(mergeFactor: 4, maxSegmentDocs: 1000, deferredMergeLimit: 3)

    /// Segments in time order: `s0` the oldest.
    func segments(_ sizes: [Int], deleted: [Int] = []) -> [MergePolicy.Segment] {
        sizes.enumerated().map { k, n in
            MergePolicy.Segment(name: "s\(k)", docCount: n, deleted: k < deleted.count ? deleted[k] : 0, minID: UInt64(100 * k))
        }
    }

    func day(_ d: Int, _ sizes: [Int], deleted: [Int] = [], inMemory: Int = 0) -> MergePolicy.Day {
        MergePolicy.Day(day: d, persisted: segments(sizes, deleted: deleted), segmentCount: sizes.count + inMemory)
    }

    @Test func aDayPastTheFactorMergesARunOfAdjacentSegmentsWithinTheSizeLimit() {
        // Five segments, factor four, a day no longer written: every neighbour that fits.
        #expect(
            policy.background([day(1, [500, 10, 40, 20, 30])], writing: [])
                == MergePolicy.Plan(day: 1, segments: ["s0", "s1", "s2", "s3", "s4"]))
        #expect(
            policy.background([day(1, [700, 400, 40, 20, 30])], writing: [])
                == MergePolicy.Plan(day: 1, segments: ["s1", "s2", "s3", "s4"]))
        // A day still written, past the deferral limit: a run of four, the one that rewrites
        // the fewest documents.
        #expect(
            policy.background([day(1, [500, 10, 40, 20, 30] + Array(repeating: 600, count: 8))], writing: [1])
                == MergePolicy.Plan(day: 1, segments: ["s1", "s2", "s3", "s4"]))
        // No two neighbours fit in the size limit: nothing (a merge would write as many full
        // segments as it read).
        #expect(policy.background([day(1, [600, 500, 700, 800, 900])], writing: []) == nil)
        // At the factor or under it: nothing.
        #expect(policy.background([day(1, [10, 20, 30, 40])], writing: []) == nil)
    }

    /// Small segments apart in time are not merged together past a big one between them: the
    /// run is adjacent, so merged segments cover stretches of the day that do not overlap.
    @Test func runsAreAdjacentInTime() {
        // The three 10s are the smallest, but a big segment lies between each two.
        #expect(
            policy.background([day(1, [10, 900, 10, 900, 10])], writing: [])
                == MergePolicy.Plan(day: 1, segments: ["s0", "s1", "s2"]))
        // Given out of time order, segments are taken in time order.
        var shuffled = day(1, [10, 20, 30, 40, 50, 600])
        shuffled.persisted.reverse()
        #expect(policy.background([shuffled], writing: []) == MergePolicy.Plan(day: 1, segments: ["s0", "s1", "s2", "s3", "s4", "s5"]))
        // Whatever merges OPTIMIZE makes, each takes neighbours.
        var d = day(1, [300, 900, 200, 100, 700, 50, 50])
        var merges: [[String]] = []
        while let p = policy.optimize([d]) {
            merges.append(p.segments)
            let merged = d.persisted.filter { p.segments.contains($0.name) }
            let at = d.persisted.firstIndex { $0.name == p.segments[0] }!
            d.persisted.removeAll { p.segments.contains($0.name) }
            d.persisted.insert(
                MergePolicy.Segment(name: p.segments.joined(separator: "+"), docCount: merged.reduce(0) { $0 + $1.live }, deleted: 0, minID: merged[0].minID),
                at: at)
            if merges.count > 10 { break }
        }
        #expect(merges == [["s2", "s3", "s4"], ["s5", "s6"]])
        #expect(d.persisted.map(\.live) == [300, 900, 1000, 100])
    }

    @Test func mostlyTombstonesIsRewrittenAlone() {
        #expect(
            policy.background([day(1, [90, 100], deleted: [10, 40])], writing: [])
                == MergePolicy.Plan(day: 1, segments: ["s1"]))
    }

    @Test func whileWritingOnlyDaysFarPastTheFactorMerge() {
        let busy = day(1, [10, 20, 30, 40, 50])
        #expect(policy.background([busy], writing: [1]) == nil)
        let far = day(1, Array(repeating: 10, count: 12))
        #expect(policy.background([far], writing: [1])?.segments.count == 4)
        // Segments still in memory count towards the deferral limit, not towards the merge.
        #expect(policy.background([day(1, [10, 20, 30, 40, 50], inMemory: 7)], writing: [1])?.segments.count == 4)
    }

    @Test func daysNoLongerWrittenMergeWhileTheNextIs() {
        // Day 1 ended; day 2 is being written: day 1's backlog merges now, day 2's waits.
        let ended = day(1, [10, 20, 30, 40, 50])
        let current = day(2, [10, 20, 30, 40, 50])
        #expect(policy.background([current, ended], writing: [2]) == MergePolicy.Plan(day: 1, segments: ["s0", "s1", "s2", "s3", "s4"]))
        #expect(policy.background([current], writing: [2]) == nil)
        #expect(policy.background([ended, current], writing: [1, 2]) == nil)
    }

    @Test func daysAreVisitedInOrder() {
        let plan = policy.background([day(7, [1, 1, 1, 1, 1]), day(3, [2, 2, 2, 2, 2])], writing: [])
        #expect(plan?.day == 3)
    }

    @Test func optimizeMergesAsFarAsTheSizeAllowsAndRewritesTombstones() {
        #expect(policy.optimize([day(1, [300, 200, 100])]) == MergePolicy.Plan(day: 1, segments: ["s0", "s1", "s2"]))
        #expect(policy.optimize([day(1, [600, 500])]) == nil)
        #expect(policy.optimize([day(1, [600], deleted: [1])]) == MergePolicy.Plan(day: 1, segments: ["s0"]))
        #expect(policy.optimize([day(1, [600]), day(2, [1, 2])]) == MergePolicy.Plan(day: 2, segments: ["s0", "s1"]))
    }
}

/// Through the engine: background merges wait for a pause in a day's writes only, so the day
/// before today merges while today's lines keep arriving.
@Suite struct MergeWhileWritingTests {
    @Test func anEndedDayMergesWhileTheNextIsWritten() throws {
        let dir = TemporaryDirectory()
        var options = testOptions()
        options.mergeQuietMilliseconds = 3_000
        let catalog = try Catalog(directory: dir.path, options: options)
        defer { try? catalog.close() }
        let index = try catalog.createIndex(IndexSettings(name: "w", retentionDays: 100_000))
        let dayLength: Int64 = 86_400_000_000
        func segments(day: Int64) throws {
            for k in 0..<10 {
                _ = try index.append([doc("line \(k)", at: day1 + day * dayLength + Int64(k) * 1_000)])
                try index.flush()
            }
        }
        func counts() throws -> [Int] {
            let days = try index.snapshot().map { (DocumentID.microseconds(of: $0.reader.minID) - day1) / dayLength }
            return [days.filter { $0 == 0 }.count, days.filter { $0 == 1 }.count]
        }
        try segments(day: 0)
        // Just written: the day waits.
        #expect(try index.mergeOnce(deferWhileWriting: true) == false)
        // Yesterday has ended; today's lines arrive.
        Thread.sleep(forTimeInterval: 3.2)
        try segments(day: 1)
        #expect(try counts() == [10, 10])
        // Yesterday merges whole (its ten segments fit in one), today waits.
        #expect(try index.mergeOnce(deferWhileWriting: true) == true)
        #expect(try counts() == [1, 10])
        #expect(try index.mergeOnce(deferWhileWriting: true) == false)
        // Merges that do not wait for a pause merge today too.
        #expect(try index.mergeOnce() == true)
        #expect(try counts() == [1, 1])
    }
}
