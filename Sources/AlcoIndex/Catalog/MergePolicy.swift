/// Which segments a merge pass rewrites, decided from their sizes and first ids alone: no I/O,
/// no locks, so background merging and OPTIMIZE share one rule and tests check it directly.
/// A merge takes a run of segments adjacent in time, so a day's segments keep covering
/// stretches of it that do not overlap: a query for the last hour, or the newest lines, reads
/// the segments of that stretch only (merging the smallest anywhere in the day made segments
/// that spanned it all, and every such query read them).
struct MergePolicy: Sendable {
    /// A persisted segment as the policy sees it.
    struct Segment: Equatable, Sendable {
        var name: String
        var docCount: Int
        var deleted: Int
        /// Its first id (time): segments are merged in runs adjacent by it.
        var minID: UInt64 = 0
        /// Its doc store's zstd level (0: unknown, written before segments recorded it).
        var storeLevel: Int = 0
        var live: Int { docCount - deleted }
        /// Written by a merge in a hurry, to be compressed again at `high`.
        var isInterim: Bool { storeLevel == MergePolicy.interimLevel }
    }

    static let interimLevel = Int(DocStoreWriter.level(.interim))

    /// A day's segments: the persisted ones, and how many it has in all (in memory too).
    struct Day: Sendable {
        var day: Int
        var persisted: [Segment]
        var segmentCount: Int
    }

    struct Plan: Equatable, Sendable {
        var day: Int
        var segments: [String]
        /// How hard the output's doc store is compressed.
        var compression: StoreCompression = .high
    }

    /// Merge when a day has more than this many persisted segments.
    var mergeFactor: Int
    /// A merge never grows a segment past this many live documents.
    var maxSegmentDocs: Int
    /// While writes arrive, days under `mergeFactor × deferredMergeLimit` segments wait.
    var deferredMergeLimit: Int
    /// At full rate, every day under `mergeFactor × fullRateMergeLimit` segments waits.
    var fullRateMergeLimit: Int

    init(options: EngineOptions) {
        mergeFactor = options.mergeFactor
        maxSegmentDocs = options.maxSegmentDocs
        deferredMergeLimit = options.deferredMergeLimit
        fullRateMergeLimit = options.fullRateMergeLimit
    }

    init(mergeFactor: Int, maxSegmentDocs: Int, deferredMergeLimit: Int, fullRateMergeLimit: Int? = nil) {
        self.mergeFactor = mergeFactor
        self.maxSegmentDocs = maxSegmentDocs
        self.deferredMergeLimit = deferredMergeLimit
        self.fullRateMergeLimit = fullRateMergeLimit ?? 2 * deferredMergeLimit
    }

    /// The background pass's next merge, days in order: a segment that is more than a third
    /// tombstones is rewritten alone; a day past `mergeFactor` segments merges the run of
    /// adjacent segments that removes the most segments (then the one that rewrites the
    /// fewest documents) within `maxSegmentDocs`. Days still `writing` merge only when far
    /// past the factor, leaving the CPU to sealing, and then at most `mergeFactor` segments at
    /// a time; the others (a day that has ended while the next one is written, or pauses)
    /// merge meanwhile, as many segments as fit, so they end as OPTIMIZE packs them (runs of
    /// the factor left segments that no neighbour fitted beside) and a query over many days
    /// meets one day's backlog, not every day's.
    ///
    /// At `fullRate` (a backfill, a burst) every day waits as the written one does, and a
    /// merge compresses at `interim`, as it does while another day has a merge due too (a
    /// merge costs ~0.6× as much); else at `high`. Once no merge is due and the rate has
    /// fallen, a day no longer written has its interim segments compressed again at `high`,
    /// with the adjacent segments that fit beside them.
    func background(_ days: [Day], writing: Set<Int>, fullRate: Bool = false) -> Plan? {
        let ordered = days.sorted(by: { $0.day < $1.day })
        // A 10M-line backfill of 11 days merged each ended day whole while the next was
        // read: 29% of its CPU (`perf`), the ingest 0.75× of a one-day corpus's rate.
        let limit = fullRate ? fullRateMergeLimit : deferredMergeLimit
        var due = ordered.lazy.compactMap { self.merge(of: $0, written: fullRate || writing.contains($0.day), limit: limit) }
            .makeIterator()
        if var plan = due.next() {
            if fullRate || due.next() != nil { plan.compression = .interim }
            return plan
        }
        if fullRate { return nil }
        for d in ordered where !writing.contains(d.day) {
            let segments = MergePolicy.inTimeOrder(d.persisted)
            guard let start = segments.firstIndex(where: \.isInterim) else { continue }
            let (run, _) = longestRun(segments, from: start, upTo: segments.count)
            // A segment alone past the size limit is rewritten alone.
            let rewritten = run.isEmpty ? start..<(start + 1) : run
            return Plan(day: d.day, segments: segments[rewritten].map(\.name))
        }
        return nil
    }

    /// The merge a day has due, if any (see `background`).
    private func merge(of d: Day, written: Bool, limit: Int) -> Plan? {
        if written && d.segmentCount < mergeFactor * limit { return nil }
        if let heavy = d.persisted.first(where: { $0.deleted * 3 > $0.docCount }) {
            return Plan(day: d.day, segments: [heavy.name])
        }
        guard d.persisted.count > mergeFactor else { return nil }
        let segments = MergePolicy.inTimeOrder(d.persisted)
        var best: Range<Int>?
        var bestTotal = 0
        for start in segments.indices {
            let (run, total) = longestRun(segments, from: start, upTo: written ? mergeFactor : segments.count)
            guard run.count >= 2 else { continue }
            if let b = best, run.count < b.count || (run.count == b.count && total >= bestTotal) { continue }
            (best, bestTotal) = (run, total)
        }
        return best.map { Plan(day: d.day, segments: segments[$0].map(\.name)) }
    }

    /// OPTIMIZE's next merge: a day's first run of adjacent segments that fit together in
    /// `maxSegmentDocs` (two or more, as many as fit), or a lone segment that has tombstones or
    /// was merged at `interim`.
    func optimize(_ days: [Day]) -> Plan? {
        for d in days.sorted(by: { $0.day < $1.day }) {
            let segments = MergePolicy.inTimeOrder(d.persisted)
            for start in segments.indices {
                let (run, _) = longestRun(segments, from: start, upTo: segments.count)
                if run.count >= 2 { return Plan(day: d.day, segments: segments[run].map(\.name)) }
            }
            if let lone = segments.first(where: { $0.deleted > 0 || $0.isInterim }) {
                return Plan(day: d.day, segments: [lone.name])
            }
        }
        return nil
    }

    /// The longest run from `start` of at most `limit` segments whose live documents fit in
    /// `maxSegmentDocs`, and that total. A merge past the limit would write as many full
    /// segments as it read (days of many full segments would merge forever).
    private func longestRun(_ segments: [Segment], from start: Int, upTo limit: Int) -> (Range<Int>, Int) {
        var end = start
        var total = 0
        while end < segments.count && end - start < limit && total + segments[end].live <= maxSegmentDocs {
            total += segments[end].live
            end += 1
        }
        return (start..<end, total)
    }

    static func inTimeOrder(_ segments: [Segment]) -> [Segment] {
        segments.enumerated().sorted { a, b in
            a.element.minID != b.element.minID ? a.element.minID < b.element.minID : a.offset < b.offset
        }.map(\.element)
    }
}
