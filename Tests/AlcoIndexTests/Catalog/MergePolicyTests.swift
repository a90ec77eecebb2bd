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

    @Test func anIngestAtFullRateDefersEveryDayMergesAtInterimAndLeavesCompressingAgainForLater() {
        // At full rate every day waits as a written one does, under mergeFactor ×
        // fullRateMergeLimit segments (4 × 6 here); once the rate falls it merges at high.
        let ended = day(1, [10, 20, 30, 40, 50])
        #expect(policy.background([ended], writing: [2], fullRate: true) == nil)
        #expect(policy.background([ended], writing: [2], fullRate: false)?.compression == .high)
        let written = day(2, Array(repeating: 10, count: 13))
        #expect(policy.background([written], writing: [2], fullRate: false)?.segments.count == 4, "past 4 × 3 when written")
        #expect(policy.background([written], writing: [2], fullRate: true) == nil, "not past 4 × 6 at full rate")
        // Far past the limit: at most mergeFactor segments at a time, at interim.
        let far = day(1, Array(repeating: 10, count: 25))
        let plan = policy.background([far], writing: [2], fullRate: true)
        #expect(plan?.segments == ["s0", "s1", "s2", "s3"])
        #expect(plan?.compression == .interim)
        // Nothing due but an interim segment of an ended day: it waits for the rate to fall.
        var merged = day(1, [10, 900, 20, 30])
        merged.persisted[1].storeLevel = MergePolicy.interimLevel
        #expect(policy.background([merged], writing: [2], fullRate: true) == nil)
        #expect(policy.background([merged], writing: [2], fullRate: false) == MergePolicy.Plan(day: 1, segments: ["s1", "s2", "s3"]))
    }

    @Test func theAppendRateReadsTheLastWholeSecondAndFallsToZeroAfterAQuietOne() {
        let second = AppendRate.window
        var rate = AppendRate()
        let t0: UInt64 = 5 * second
        #expect(rate.perSecond(now: t0) == 0)
        rate.note(300, now: t0)
        rate.note(200, now: t0 + second / 2)
        // Within the first second a burst shows at once.
        #expect(rate.perSecond(now: t0 + second / 2) == 500)
        // In the next second, the whole last one counts until the current one passes it.
        rate.note(100, now: t0 + second + 1)
        #expect(rate.perSecond(now: t0 + second + 2) == 500)
        rate.note(600, now: t0 + second + 3)
        #expect(rate.perSecond(now: t0 + second + 4) == 700)
        // A second with no appends at all: the last whole second is that one (700 then 0).
        #expect(rate.perSecond(now: t0 + 2 * second + 1) == 700)
        #expect(rate.perSecond(now: t0 + 3 * second + 1) == 0)
        // Appends after a long pause start a fresh window.
        rate.note(40, now: t0 + 10 * second)
        #expect(rate.perSecond(now: t0 + 10 * second + 1) == 40)
        #expect(rate.perSecond(now: t0 + 11 * second + 1) == 40)
        #expect(rate.perSecond(now: t0 + 12 * second + 1) == 0)
    }

    @Test func aMergeWithOthersWaitingCompressesAtInterimThenAgainOnceNoneIs() {
        // Two ended days due: the first merges at interim, the last one due at high.
        let one = day(1, [10, 20, 30, 40, 50])
        let two = day(2, [10, 20, 30, 40, 50])
        #expect(policy.background([two, one], writing: [3])?.compression == .interim)
        #expect(policy.background([two], writing: [3])?.compression == .high)
        // A day with an interim segment, nothing due: written, it waits; ended, the interim
        // segment is compressed again with the neighbours that fit beside it.
        var merged = day(1, [10, 900, 20, 30])
        merged.persisted[1].storeLevel = MergePolicy.interimLevel
        #expect(policy.background([merged], writing: [1]) == nil)
        #expect(policy.background([merged], writing: [2]) == MergePolicy.Plan(day: 1, segments: ["s1", "s2", "s3"]))
        // Alone past the size limit, it is rewritten alone; fresh and high segments never are.
        let high = Int(DocStoreWriter.level(.high))
        var big = day(1, [600, 1200, 20])
        big.persisted[1].storeLevel = MergePolicy.interimLevel
        big.persisted[0].storeLevel = 1
        big.persisted[2].storeLevel = high
        #expect(policy.background([big], writing: []) == MergePolicy.Plan(day: 1, segments: ["s1"]))
        big.persisted[1].storeLevel = high
        #expect(policy.background([big], writing: []) == nil)
        // OPTIMIZE rewrites an interim segment no neighbour fits beside.
        var lone = day(1, [900])
        lone.persisted[0].storeLevel = MergePolicy.interimLevel
        #expect(policy.optimize([lone]) == MergePolicy.Plan(day: 1, segments: ["s0"]))
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

    /// Two days due at once: the first merges at interim, the second at high, then the first is
    /// compressed again; every line reads back the same throughout.
    @Test func aMergeInAHurryIsCompressedAgainOnceNoneWaits() throws {
        let dir = TemporaryDirectory()
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        defer { try? catalog.close() }
        let index = try catalog.createIndex(IndexSettings(name: "w", retentionDays: 100_000))
        let dayLength: Int64 = 86_400_000_000
        var lines: [String] = []
        for day in 0..<2 {
            for k in 0..<10 {
                let line = "day \(day) line \(k) " + String(repeating: "word\(k) ", count: 50)
                lines.append(line)
                _ = try index.append([doc(line, at: day1 + Int64(day) * dayLength + Int64(k) * 1_000)])
                try index.flush()
            }
        }
        func levels(day: Int64) throws -> [Int] {
            try index.snapshot().filter { (DocumentID.microseconds(of: $0.reader.minID) - day1) / dayLength == day }
                .map(\.reader.store.level)
        }
        func everyLine() throws -> [String] {
            try index.search(SearchRequest(order: .idAscending, limit: 100)).hits.map(\.logline)
        }
        let fresh = Int(DocStoreWriter.level(.fast))
        let interim = Int(DocStoreWriter.level(.interim))
        let high = Int(DocStoreWriter.level(.high))
        #expect(try levels(day: 0) == Array(repeating: fresh, count: 10))
        #expect(try index.mergeOnce() == true)
        #expect(try levels(day: 0) == [interim])
        #expect(try everyLine() == lines)
        #expect(try index.mergeOnce() == true)
        #expect(try levels(day: 1) == [high])
        #expect(try index.mergeOnce() == true)
        #expect(try levels(day: 0) == [high])
        #expect(try everyLine() == lines)
        #expect(try index.mergeOnce() == false)
    }
}
