/// Which segments a merge pass rewrites, decided from their sizes alone: no I/O, no locks, so
/// background merging and OPTIMIZE share one rule and tests check it directly.
struct MergePolicy: Sendable {
    /// A persisted segment as the policy sees it.
    struct Segment: Equatable, Sendable {
        var name: String
        var docCount: Int
        var deleted: Int
        var live: Int { docCount - deleted }
    }

    /// A day's segments: the persisted ones, and how many it has in all (in memory too).
    struct Day: Sendable {
        var day: Int
        var persisted: [Segment]
        var segmentCount: Int
    }

    struct Plan: Equatable, Sendable {
        var day: Int
        var segments: [String]
    }

    /// Merge when a day has more than this many persisted segments.
    var mergeFactor: Int
    /// A merge never grows a segment past this many live documents.
    var maxSegmentDocs: Int
    /// While writes arrive, days under `mergeFactor × deferredMergeLimit` segments wait.
    var deferredMergeLimit: Int

    init(options: EngineOptions) {
        mergeFactor = options.mergeFactor
        maxSegmentDocs = options.maxSegmentDocs
        deferredMergeLimit = options.deferredMergeLimit
    }

    init(mergeFactor: Int, maxSegmentDocs: Int, deferredMergeLimit: Int) {
        self.mergeFactor = mergeFactor
        self.maxSegmentDocs = maxSegmentDocs
        self.deferredMergeLimit = deferredMergeLimit
    }

    /// The background pass's next merge, days in order: a segment that is more than a third
    /// tombstones is rewritten alone; a day past `mergeFactor` segments merges its smallest,
    /// up to `mergeFactor` of them (at least two) within `maxSegmentDocs`. While `writing`,
    /// only days far past the factor are merged, leaving the CPU to sealing.
    func background(_ days: [Day], writing: Bool) -> Plan? {
        for d in days.sorted(by: { $0.day < $1.day }) {
            if writing && d.segmentCount < mergeFactor * deferredMergeLimit { continue }
            if let heavy = d.persisted.first(where: { $0.deleted * 3 > $0.docCount }) {
                return Plan(day: d.day, segments: [heavy.name])
            }
            guard d.persisted.count > mergeFactor else { continue }
            var chosen: [String] = []
            var total = 0
            for s in d.persisted.sorted(by: { $0.live < $1.live }) {
                if chosen.count >= 2 && total + s.live > maxSegmentDocs { break }
                chosen.append(s.name)
                total += s.live
                if chosen.count >= mergeFactor { break }
            }
            if chosen.count >= 2 { return Plan(day: d.day, segments: chosen) }
        }
        return nil
    }

    /// OPTIMIZE's next merge: a day's smallest segments as long as they fit in
    /// `maxSegmentDocs` (two or more), or a lone segment that has tombstones.
    func optimize(_ days: [Day]) -> Plan? {
        for d in days.sorted(by: { $0.day < $1.day }) {
            var chosen: [Segment] = []
            var total = 0
            for s in d.persisted.sorted(by: { $0.docCount < $1.docCount }) {
                if total + s.live > maxSegmentDocs && chosen.count >= 1 { break }
                chosen.append(s)
                total += s.live
            }
            if chosen.count >= 2 || chosen.first.map({ $0.deleted > 0 }) == true {
                return Plan(day: d.day, segments: chosen.map(\.name))
            }
        }
        return nil
    }
}
