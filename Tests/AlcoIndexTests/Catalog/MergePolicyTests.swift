import Testing

@testable import AlcoIndex

@Suite struct MergePolicyTests {
    let policy = MergePolicy(mergeFactor: 4, maxSegmentDocs: 1000, deferredMergeLimit: 3)

    func segments(_ sizes: [Int], deleted: [Int] = []) -> [MergePolicy.Segment] {
        sizes.enumerated().map { k, n in MergePolicy.Segment(name: "s\(k)", docCount: n, deleted: k < deleted.count ? deleted[k] : 0) }
    }

    func day(_ d: Int, _ sizes: [Int], deleted: [Int] = [], inMemory: Int = 0) -> MergePolicy.Day {
        MergePolicy.Day(day: d, persisted: segments(sizes, deleted: deleted), segmentCount: sizes.count + inMemory)
    }

    @Test func aDayPastTheFactorMergesItsSmallestWithinTheSizeLimit() {
        // Five segments, factor four: the four smallest, smallest first.
        #expect(
            policy.background([day(1, [500, 10, 40, 20, 30])], writing: false)
                == MergePolicy.Plan(day: 1, segments: ["s1", "s3", "s4", "s2"]))
        // Within the size limit: 600 + 500 would pass 1000, so two.
        #expect(
            policy.background([day(1, [600, 500, 700, 800, 900])], writing: false)
                == MergePolicy.Plan(day: 1, segments: ["s1", "s0"]))
        // At the factor or under it: nothing.
        #expect(policy.background([day(1, [10, 20, 30, 40])], writing: false) == nil)
    }

    @Test func mostlyTombstonesIsRewrittenAlone() {
        #expect(
            policy.background([day(1, [90, 100], deleted: [10, 40])], writing: false)
                == MergePolicy.Plan(day: 1, segments: ["s1"]))
    }

    @Test func whileWritingOnlyDaysFarPastTheFactorMerge() {
        let busy = day(1, [10, 20, 30, 40, 50])
        #expect(policy.background([busy], writing: true) == nil)
        let far = day(1, Array(repeating: 10, count: 12))
        #expect(policy.background([far], writing: true)?.segments.count == 4)
        // Segments still in memory count towards the deferral limit, not towards the merge.
        #expect(policy.background([day(1, [10, 20, 30, 40, 50], inMemory: 7)], writing: true)?.segments.count == 4)
    }

    @Test func daysAreVisitedInOrder() {
        let plan = policy.background([day(7, [1, 1, 1, 1, 1]), day(3, [2, 2, 2, 2, 2])], writing: false)
        #expect(plan?.day == 3)
    }

    @Test func optimizeMergesAsFarAsTheSizeAllowsAndRewritesTombstones() {
        #expect(policy.optimize([day(1, [300, 200, 100])]) == MergePolicy.Plan(day: 1, segments: ["s2", "s1", "s0"]))
        #expect(policy.optimize([day(1, [600, 500])]) == nil)
        #expect(policy.optimize([day(1, [600], deleted: [1])]) == MergePolicy.Plan(day: 1, segments: ["s0"]))
        #expect(policy.optimize([day(1, [600]), day(2, [1, 2])]) == MergePolicy.Plan(day: 2, segments: ["s0", "s1"]))
    }
}
