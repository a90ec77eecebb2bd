/// A segment as a search sees it: the reader and its tombstones at the time of the snapshot.
public struct SegmentSnapshot: Sendable {
    public let reader: SegmentReader
    public let deleted: DeletionSet
    /// What the segment's day adds up to (nil for a segment searched outside an index).
    let day: DaySummary?
    /// `day`'s identity, compared without retaining it (a search walks a few hundred).
    let dayID: ObjectIdentifier?
    /// The reader's bounds, copied: a search decides which segments it reads from these
    /// without a retain and release of each reader.
    let docCount: Int
    let minID: UInt64
    let maxID: UInt64
    /// The reader's word filter, probed without reading the reader (`WordRequirement.segments`).
    let wordFilter: WordFilter.Handle?

    public init(reader: SegmentReader, deleted: DeletionSet) {
        self.init(reader: reader, deleted: deleted, day: nil)
    }

    init(reader: SegmentReader, deleted: DeletionSet, day: DaySummary?) {
        self.reader = reader
        self.deleted = deleted
        self.day = day
        dayID = day.map(ObjectIdentifier.init)
        docCount = reader.docCount
        minID = reader.minID
        maxID = reader.maxID
        wordFilter = reader.wordFilterHandle
    }

    public var liveCount: Int { reader.docCount - deleted.count }

    /// Whether the segment has documents with ids in `range`.
    @inline(__always)
    func overlaps(_ range: ClosedRange<UInt64>) -> Bool {
        docCount > 0 && maxID >= range.lowerBound && minID <= range.upperBound
    }
}

/// Runs a `SearchRequest` over a snapshot of segments: prunes by id (time) range, evaluates each
/// segment's plan, and collects hits in id order (stopping early for the tail), by relevance,
/// or into groups.
public enum Searcher {
    struct Candidate {
        var id: UInt64
        var segment: Int
        var ordinal: UInt32
        var weight: Int
    }

    public static func search(_ request: SearchRequest, segments all: [SegmentSnapshot]) throws -> SearchResult {
        let started = DispatchTimeLike.now()
        var result = SearchResult()
        try request.checkLimits()
        let window = request.window
        try request.text.validate()
        if request.isEmptyRange {
            result.totalIsExact = true
            return result
        }
        let idRange = request.idRange
        // A day at a time (a whole day the range holds from its summary), through the buffer:
        // a copy of each snapshot (three references) was most of what a search over a few
        // hundred segments did for each.
        let (allRuns, everyInRange) = all.withUnsafeBufferPointer { b in
            let runs = DayRun.runs(b)
            return (runs, runs.allSatisfy { $0.allOverlap(idRange, in: b) })
        }
        // The snapshot itself when every segment is searched (no copy to make and release).
        let inRangeSegments = everyInRange ? all : all.filter { $0.overlaps(idRange) }
        result.segmentsSearched = inRangeSegments.count
        // Segments without a rare word the query needs are dropped before any range, order or
        // plan is made for them (`WordRequirement.segments`); a common word's are left to the
        // plans' probe, made only for the segments a search reaches.
        let required = WordRequirement(request.text)
        // A bare word's count is read from stored counts without a probe: not dropped here.
        let storedCountsMayAnswer = window == 0 && request.filter == .always(true) && request.groupBy == nil
        let segments = required == .none || storedCountsMayAnswer ? inRangeSegments : required.segments(inRangeSegments)
        let cache = DocStoreCache(capacity: 16)
        let deadline = Deadline(
            milliseconds: request.timeLimitMilliseconds, from: started, coldReadBytes: request.coldReadLimitBytes)
        let plans = SegmentPlans(request, segments: segments, required: required, cache: cache, deadline: deadline)
        let ranges = SegmentRanges(segments: segments, idRange: idRange)
        // The days of the list searched: the snapshot's own unless segments were dropped.
        let runs = segments.count == all.count ? allRuns : segments.withUnsafeBufferPointer { DayRun.runs($0) }

        var chosen: [Candidate] = []
        if let key = request.groupBy {
            let (groups, total, timedOut) = try group(by: key, segments: segments, runs: runs, plans: plans, ranges: ranges, deadline: deadline)
            result.groups = groups
            result.totalFound = total
            result.totalIsExact = !timedOut
            result.timedOut = timedOut
            // One row per group: its newest doc.
            let window = groups.dropFirst(request.offset).prefix(request.limit)
            let sortedByFirstID = segments.withUnsafeBufferPointer { b in
                b.indices.dropFirst().allSatisfy { b[$0 - 1].minID <= b[$0].minID }
            }
            for g in window {
                // Only a segment whose ids span it can hold it (no search of every id column).
                let id = g.representativeID
                let spanning = segments.withUnsafeBufferPointer { Searcher.spanning(id, in: $0, sortedByFirstID: sortedByFirstID) }
                for k in spanning {
                    let s = segments[k]
                    if let o = s.reader.ordinal(of: id), !s.deleted.contains(o) {
                        chosen.append(Candidate(id: id, segment: k, ordinal: o, weight: g.count))
                        break
                    }
                }
            }
        } else if request.order == .relevance {
            // The best `window` by weight, kept bounded: a common word's millions of matches
            // are ranked and cut as they come, not all held until the end.
            var kept: [Candidate] = []
            var total = 0
            func better(_ a: Candidate, _ b: Candidate) -> Bool { a.weight != b.weight ? a.weight > b.weight : a.id < b.id }
            func trim() {
                kept.sort(by: better)
                if kept.count > window { kept.removeLast(kept.count - window) }
            }
            for (k, s) in segments.enumerated() where !plans.cannotMatch(k) {
                if deadline.hasPassed {
                    result.timedOut = true
                    break
                }
                let docs: [UInt32]
                do {
                    docs = try live(plans.plan(k).docs(ranges[k]), s.deleted)
                } catch AlcoError.timedOut {
                    result.timedOut = true
                    break
                }
                total += docs.count
                guard window > 0 else { continue }
                let weights = Ranker.weights(docs, query: request.text, segment: s.reader)
                for (i, d) in docs.enumerated() {
                    kept.append(Candidate(id: s.reader.id(d), segment: k, ordinal: d, weight: weights[i]))
                }
                if kept.count > 2 * window + 4096 { trim() }
            }
            trim()
            result.totalFound = total
            result.totalIsExact = !result.timedOut
            chosen = Array(kept.dropFirst(request.offset))
        } else {
            let descending = request.order == .idDescending
            let (top, total, exact, timedOut) = try collectByID(
                segments: segments, runs: runs, plans: plans, ranges: ranges, window: window,
                descending: descending, countAll: request.countTotal, deadline: deadline)
            result.totalFound = total
            result.totalIsExact = exact
            result.timedOut = timedOut
            chosen = Array(top.dropFirst(request.offset))
        }

        let highlighter = request.snippet.map { Highlighter($0.query ?? request.text) }
        for c in chosen {
            var hit = Hit(id: c.id, logline: "", js: "", weight: c.weight, snippet: nil)
            if request.loadDocuments || request.snippet != nil {
                let doc = try segments[c.segment].reader.document(c.ordinal, cache: cache)
                hit.logline = doc.logline
                hit.js = doc.presentedJS
                if let options = request.snippet, let highlighter {
                    hit.snippet = Snippet.make(doc.logline, highlighter: highlighter, options: options)
                }
            }
            result.hits.append(hit)
        }
        // A damaged page read on a path that cannot throw read as nothing: fail rather than
        // answer without it. Only once any damage was seen: asking every segment (through the
        // buffer: a for-in copied each snapshot) was half of a whole-day count over 213.
        if PageVerifier.damageSeen.load(ordering: .acquiring) {
            try segments.withUnsafeBufferPointer { b in
                for k in b.indices { try b[k].reader.throwIfDamaged() }
            }
        }
        result.elapsedNanoseconds = DispatchTimeLike.now() - started
        return result
    }

    /// The segments whose id span holds `id`. A snapshot lists segments by first id (days
    /// ascending, a day's by first id), so a binary search finds the last one starting at or
    /// before it, and only its day's segments before that are read (a day's ids are its own);
    /// a list in another order, or without days, is scanned whole. Read in place: a copy of
    /// each snapshot per group was most of a GROUP BY over a few hundred segments, and the
    /// scan of every span per group still a fifth of it.
    static func spanning(_ id: UInt64, in b: UnsafeBufferPointer<SegmentSnapshot>, sortedByFirstID: Bool) -> [Int] {
        guard sortedByFirstID else { return b.indices.filter { b[$0].minID <= id && id <= b[$0].maxID } }
        var (lo, hi) = (0, b.count)
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if b[mid].minID <= id { lo = mid + 1 } else { hi = mid }
        }
        var out: [Int] = []
        var k = lo - 1
        let day = k >= 0 ? b[k].dayID : nil
        while k >= 0 {
            // Segments of earlier days end before this day starts.
            if let day, b[k].dayID != day { break }
            if b[k].maxID >= id { out.append(k) }
            k -= 1
        }
        return out
    }

    /// Segment indices by `edges`, nearest the edge first. Snapshots list segments in time
    /// order, so the usual answer is found in one pass; sorting ~70 instructions a comparison
    /// cost a query over a few hundred segments more than counting them.
    static func orderFromEdge(_ edges: [UInt64], descending: Bool) -> [Int] {
        if zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 }) {
            return descending ? Array(edges.indices.reversed()) : Array(edges.indices)
        }
        return edges.indices.sorted { descending ? edges[$0] > edges[$1] : edges[$0] < edges[$1] }
    }

    /// Offers `answer` each day searched whole: every segment of the day is in its run of the
    /// list searched (`runs`), none has deletions, and `idRange` holds the
    /// whole day. Such a day may answer a count or GROUP BY of every line once for all its
    /// segments (a day right after a fast ingest has dozens). Returns the segments of the days
    /// that answered, in order; only the days are walked.
    static func answerByWholeDays(
        _ runs: [DayRun], idRange: ClosedRange<UInt64>, _ answer: (DaySummary) throws -> Bool
    ) rethrows -> [Range<Int>] {
        var covered: [Range<Int>] = []
        covered.reserveCapacity(runs.count)
        for run in runs {
            guard let day = run.day, run.holdsWholeDay, day.hasNoDeletions, idRange.lowerBound <= day.minID,
                idRange.upperBound >= day.maxID
            else { continue }
            if try answer(day) { covered.append(run.segments) }
        }
        return covered
    }

    /// The order from the edge of the segments outside the `covered` runs (all when it is empty).
    static func orderFromEdge(
        _ segments: [SegmentSnapshot], descending: Bool, skipping covered: [Range<Int>] = []
    ) -> [Int] {
        // Sorted by keys read once (reading them through each snapshot in the comparator
        // retained and released its reader every time).
        segments.withUnsafeBufferPointer { b in
            var open: [Int] = []
            var next = 0
            for run in covered {
                open += next..<run.lowerBound
                next = run.upperBound
            }
            open += next..<b.count
            let edges = open.map { descending ? b[$0].maxID : b[$0].minID }
            let order = orderFromEdge(edges, descending: descending)
            return covered.isEmpty ? order : order.map { open[$0] }
        }
    }

    static func live(_ docs: [UInt32], _ deleted: DeletionSet) -> [UInt32] {
        deleted.isEmpty ? docs : docs.filter { !deleted.contains($0) }
    }

    /// The first `window` matches in id order. Without `countAll` it reads segments from the
    /// newest (or oldest) end in growing windows and stops once nothing left can enter.
    static func collectByID(
        segments: [SegmentSnapshot], runs: [DayRun], plans: SegmentPlans, ranges: SegmentRanges,
        window: Int, descending: Bool, countAll: Bool, deadline: Deadline = .none
    ) throws -> (top: [Candidate], total: Int, exact: Bool, timedOut: Bool) {
        var top: [Candidate] = []
        var total = 0
        // A count over whole days, a day at a time: a bare word's stored counts, or every
        // line's. With a window, the days' segments are still read for their edge (from the
        // edge, the first fills it and the others are passed by their id bounds): a page of
        // the newest lines with its total read every segment's plan to count it.
        var covered: [Range<Int>] = []
        if countAll, plans.hasStoredCounts || plans.matchesEverything {
            do {
                covered = try answerByWholeDays(runs, idRange: plans.idRange) { day in
                    if plans.matchesEverything {
                        total += day.docCount
                        return true
                    }
                    guard let n = try plans.storedCount(day) else { return false }
                    total += n
                    return true
                }
            } catch AlcoError.timedOut {
                return (top, total, false, true)
            }
        }
        // Nothing to walk when the days answered for every segment and no page is wanted.
        let coveredCount = covered.reduce(0) { $0 + $1.count }
        let order =
            window == 0 && coveredCount == segments.count
            ? [] : orderFromEdge(segments, descending: descending, skipping: window == 0 ? covered : [])
        // With a window the covered days' segments are walked for their edge; once the window
        // is full, none after the first that cannot enter can, and only uncovered ones count.
        var isCovered: [Bool] = []
        var uncoveredLeft = segments.count - coveredCount
        if window > 0 && !covered.isEmpty {
            isCovered = Array(repeating: false, count: segments.count)
            for run in covered {
                for k in run { isCovered[k] = true }
            }
        }
        func better(_ a: UInt64, _ b: UInt64) -> Bool { descending ? a > b : a < b }
        // `found` is always in order from the edge: a segment's ordinals are in id order.
        func merge(_ found: [Candidate]) {
            guard !found.isEmpty else { return }
            if top.isEmpty || !better(found[0].id, top[top.count - 1].id) {
                // Segments that do not overlap in ids (the usual case): the run goes after
                // what is kept, with no sort.
                top.append(contentsOf: found.prefix(max(0, window - top.count)))
                return
            }
            // Segments whose ids overlap: two runs in order from the edge, merged in one pass
            // and cut at the window (a sort of both cost ~70 instructions a candidate).
            var merged: [Candidate] = []
            merged.reserveCapacity(min(window, top.count + found.count))
            var (i, j) = (0, 0)
            while merged.count < window && (i < top.count || j < found.count) {
                if j == found.count || (i < top.count && !better(found[j].id, top[i].id)) {
                    merged.append(top[i])
                    i += 1
                } else {
                    merged.append(found[j])
                    j += 1
                }
            }
            top = merged
        }
        /// Segment `k`'s id bound nearest the edge, from the snapshot (the order is by it).
        func edgeBound(_ k: Int) -> UInt64 { descending ? segments[k].maxID : segments[k].minID }
        /// Whether segment `k` may hold a match that enters the window: its ids ascend with
        /// ordinals, so none does when its edge-most id in `range` cannot (the snapshot's
        /// bound when the range is the whole segment: no id read).
        func mayEnter(_ k: Int, _ range: Range<UInt32>) -> Bool {
            guard window > 0 else { return false }
            guard top.count >= window else { return true }
            let edgeID: UInt64
            if range.count == segments[k].docCount {
                edgeID = edgeBound(k)
            } else {
                edgeID = descending ? segments[k].reader.id(range.upperBound - 1) : segments[k].reader.id(range.lowerBound)
            }
            return better(edgeID, top[window - 1].id)
        }
        /// Segment `k`'s live matches at the edge of `range`, merged into the window.
        func takeIntoWindow(_ k: Int, _ plan: any DocSet, _ range: Range<UInt32>) throws {
            let take = try takeEdge(plan, range: range, deleted: segments[k].deleted, count: window, descending: descending)
            merge(take.map { Candidate(id: segments[k].reader.id($0), segment: k, ordinal: $0, weight: 1) })
        }
        var exact = true
        var timedOut = false
        for k in order {
            let isCoveredHere = !isCovered.isEmpty && isCovered[k]
            if !isCoveredHere { uncoveredLeft -= 1 }
            let range = ranges[k]
            if range.isEmpty { continue }
            // Without a count to finish, the walk ends at the first segment whose id bound
            // cannot enter the window: the order is by that bound, so none after it can (each
            // was asked for its filter probe and edge id, a few hundred after a fast ingest).
            if !countAll, window > 0, top.count >= window, !better(edgeBound(k), top[window - 1].id) {
                exact = false
                break
            }
            // Counted with its day (no deletions there): read only for the window's edge.
            if isCoveredHere {
                guard mayEnter(k, range) else {
                    if uncoveredLeft == 0 { break }
                    continue
                }
                do {
                    try takeIntoWindow(k, plans.plan(k), range)
                } catch AlcoError.timedOut {
                    timedOut = true
                    break
                }
                continue
            }
            // A word's count over a whole segment without tombstones, as the segment stored it
            // (no page read: the counts are held from opening).
            if countAll, window == 0, range.count == segments[k].reader.docCount, segments[k].deleted.isEmpty,
                let n = plans.storedCount(k)
            {
                total += n
                continue
            }
            // A segment without a word the query needs costs one filter probe per word.
            if plans.cannotMatch(k) { continue }
            let s = segments[k]
            if deadline.hasPassed {
                timedOut = true
                break
            }
            do {
                if countAll {
                    let plan = try plans.plan(k)
                    if plan.isEverything {
                        let deletedInRange = s.deleted.isEmpty ? 0 : s.deleted.ordinals.filter { range.contains($0) }.count
                        total += range.count - deletedInRange
                        if mayEnter(k, range) { try takeIntoWindow(k, plan, range) }
                        continue
                    }
                    if s.deleted.isEmpty {
                        // Counted without listing the docs (a long list's blocks wholly in
                        // the range are counted from their headers); only the edge is read.
                        total += try plan.count(range, segmentSize: UInt32(s.reader.docCount))
                        if mayEnter(k, range) { try takeIntoWindow(k, plan, range) }
                        continue
                    }
                    let docs = live(try plan.docs(range), s.deleted)
                    total += docs.count
                    if mayEnter(k, range) {
                        let edge = descending ? Array(docs.suffix(window).reversed()) : Array(docs.prefix(window))
                        merge(edge.map { Candidate(id: s.reader.id($0), segment: k, ordinal: $0, weight: 1) })
                    }
                    continue
                }
                if window == 0 { break }
                if !mayEnter(k, range) {
                    exact = false
                    continue
                }
                let threshold = top.count >= window ? top[window - 1].id : nil
                let found = try takeEdge(plans.plan(k), range: range, deleted: s.deleted, count: window, descending: descending) { ord in
                    guard let threshold else { return true }
                    return better(s.reader.id(ord), threshold)
                }
                total += found.count
                merge(found.map { Candidate(id: s.reader.id($0), segment: k, ordinal: $0, weight: 1) })
                exact = false
            } catch AlcoError.timedOut {
                timedOut = true
                break
            }
        }
        if !countAll { total = max(total, top.count) }
        return (top, total, !timedOut && (countAll || exact && top.count < window), timedOut)
    }

    /// Up to `count` live matches from one end of `range`, in order from that end, reading
    /// windows sized by `nextWidth`.
    static func takeEdge(
        _ plan: any DocSet, range: Range<UInt32>, deleted: DeletionSet, count: Int, descending: Bool,
        accept: (UInt32) -> Bool = { _ in true }
    ) throws -> [UInt32] {
        // A segment without the word: nothing to read window by window.
        if plan.isNothing { return [] }
        if let every = plan.contiguous {
            let lo = max(range.lowerBound, every.lowerBound)
            let hi = max(lo, min(range.upperBound, every.upperBound))
            return takeEdge(of: lo..<hi, deleted: deleted, count: count, descending: descending, accept: accept)
        }
        var out: [UInt32] = []
        var width = UInt32(max(256, min(count * 4, 1 << 20)))
        var scanned = 0
        var lo = range.lowerBound
        var hi = range.upperBound
        while lo < hi && out.count < count {
            let part: Range<UInt32>
            if descending {
                let start = hi - min(width, hi - lo)
                part = start..<hi
                hi = start
            } else {
                let end = lo + min(width, hi - lo)
                part = lo..<end
                lo = end
            }
            var docs = try plan.docs(part)
            if descending { docs.reverse() }
            for d in docs where !deleted.contains(d) {
                if !accept(d) { return out }
                out.append(d)
                if out.count >= count { return out }
            }
            scanned += part.count
            width = nextWidth(after: width, scanned: scanned, found: out.count, wanted: count)
        }
        return out
    }

    /// The next window of `takeEdge`: 4× the last, or less once the matches per ordinal seen
    /// so far say fewer ordinals will do (what is still missing, plus a quarter). A phrase in
    /// 1% of lines needs ~10,000 ordinals for 100 hits, where windows growing 4× (400, 1,600,
    /// 6,400, 25,600) decoded 34,000. Never more than 4×: a first window's few matches make a
    /// poor estimate.
    static func nextWidth(after width: UInt32, scanned: Int, found: Int, wanted: Int) -> UInt32 {
        let grown = width > (1 << 26) ? UInt32(1 << 28) : width * 4
        guard found > 0 else { return grown }
        let estimate = Double(wanted - found) * Double(scanned) / Double(found) * 1.25
        return UInt32(min(max(estimate, 256), Double(grown)))
    }

    /// `takeEdge` when every ordinal of `range` matches: the range is walked, never listed.
    private static func takeEdge(
        of range: Range<UInt32>, deleted: DeletionSet, count: Int, descending: Bool, accept: (UInt32) -> Bool
    ) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(min(count, range.count))
        var next = descending ? range.upperBound : range.lowerBound
        while out.count < count && (descending ? next > range.lowerBound : next < range.upperBound) {
            let d: UInt32
            if descending {
                next -= 1
                d = next
            } else {
                d = next
                next += 1
            }
            if deleted.contains(d) { continue }
            if !accept(d) { break }
            out.append(d)
        }
        return out
    }

    static func group(
        by key: String, segments: [SegmentSnapshot], runs: [DayRun], plans: SegmentPlans, ranges: SegmentRanges,
        deadline: Deadline = .none
    ) throws -> ([GroupCount], Int, timedOut: Bool) {
        var tally = GroupTally()
        var total = 0
        var timedOut = false
        // Every line of a whole day: its groups once, for all its segments (by a js key: GROUP
        // BY id names a group per line, which no summary keeps).
        var covered: [Range<Int>] = []
        if plans.matchesEverything, key != "id" {
            covered = answerByWholeDays(runs, idRange: plans.idRange) { day in
                guard let groups = day.groups(key) else { return false }
                tally.add(day: groups)
                total += day.docCount
                return true
            }
        }
        // Newest first: a group's newest line is then found in the first segment that has the
        // group, and the older ones skip naming their newest (an id read per group).
        for k in orderFromEdge(segments, descending: true, skipping: covered) where !plans.cannotMatch(k) {
            let s = segments[k]
            if deadline.hasPassed {
                timedOut = true
                break
            }
            do {
                total += try countGroups(key, s, try plans.plan(k), ranges[k], into: &tally)
            } catch AlcoError.timedOut {
                timedOut = true
                break
            }
        }
        return (tally.groups, total, timedOut)
    }

    /// One segment's matches counted by their value of `key` into `tally`; returns how many
    /// matched. Adds nothing if it throws (a time limit met while verifying lines).
    private static func countGroups(
        _ key: String, _ s: SegmentSnapshot, _ plan: any DocSet, _ range: Range<UInt32>, into tally: inout GroupTally
    ) throws -> Int {
        if key == "id" {
            let docs = live(try plan.docs(range), s.deleted)
            for d in docs {
                let id = s.reader.id(d)
                tally.add(String(id), count: 1, newest: id)
            }
            return docs.count
        }
        let reader = s.reader
        if plan.isEverything, s.deleted.isEmpty, range.count == reader.docCount, let groups = reader.wholeSegmentGroups(key) {
            tally.add(ranks: groups.counts, newest: groups.newest, names: groups.names, of: reader)
            return range.count
        }
        let attr = reader.attribute(key)
        // Count by value rank (strings) in flat arrays, numbers in a dictionary, and name
        // the values once at the end.
        let ranks = (attr?.valueCount ?? 0) + 1
        var rankCount = [Int](repeating: 0, count: ranks)
        var rankNewest = [UInt32](repeating: 0, count: ranks)
        var byNumber: [Double: (Int, UInt64)] = [:]
        func count(_ d: UInt32) {
            let f = attr?.forward(d) ?? 0
            if f == 0, let n = attr?.number(d) {
                let id = s.reader.id(d)
                let prev = byNumber[n] ?? (0, 0)
                byNumber[n] = (prev.0 + 1, max(prev.1, id))
            } else {
                rankCount[Int(f)] += 1
                rankNewest[Int(f)] = max(rankNewest[Int(f)], d)  // ordinals ascend with ids
            }
        }
        var matched = 0
        if plan.isEverything, s.deleted.isEmpty, let attr, !attr.hasNumbers {
            attr.tally(range, counts: &rankCount, newest: &rankNewest)
            matched = range.count
        } else if plan.isEverything {
            for d in range where !s.deleted.contains(d) {
                count(d)
                matched += 1
            }
        } else {
            let docs = live(try plan.docs(range), s.deleted)
            matched = docs.count
            for d in docs { count(d) }
        }
        if let attr, let names = reader.valueNames(key, attr) {
            tally.add(ranks: rankCount, newest: rankNewest, names: names, of: reader)
        } else {
            if rankCount[0] > 0 { tally.add(slot: tally.slot(nil), count: rankCount[0], newest: rankNewest[0], of: reader) }
            attr?.forEachValue(
                where: { rankCount[$0 + 1] > 0 },
                { rank, value in tally.add(slot: tally.slot(value), count: rankCount[rank + 1], newest: rankNewest[rank + 1], of: reader) })
        }
        for (n, v) in byNumber { tally.add(NumericColumn.format(n), count: v.0, newest: v.1) }
        return matched
    }

    /// Each exact word of the query with the documents holding it (SHOW META's keyword
    /// lines); asked for separately, since few clients read them.
    public static func keywordStats(_ q: TextQuery, segments: [SegmentSnapshot]) -> [KeywordStats] {
        var seen = Set<String>()
        var out: [KeywordStats] = []
        for (term, match) in q.positiveTerms where match == .exact && seen.insert(term).inserted {
            var docs = 0
            for s in segments {
                for f in 0..<s.reader.fieldNames.count {
                    if let info = s.reader.lookup([UInt8(f)] + Array(term.utf8)) { docs += info.docFreq }
                }
            }
            out.append(KeywordStats(keyword: term, docs: docs, hits: docs))
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Monotonic nanoseconds without Foundation.
public enum DispatchTimeLike {
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

extension Searcher {
    /// Every live id a request matches (DELETE ... WHERE), ignoring order and limits.
    public static func matchingIDs(_ request: SearchRequest, segments: [SegmentSnapshot]) throws -> [UInt64] {
        if request.isEmptyRange { return [] }
        var out: [UInt64] = []
        let cache = DocStoreCache()
        for s in segments where s.reader.docCount > 0 {
            let range = s.reader.ordinals(in: request.idRange)
            if range.isEmpty { continue }
            let plan = try SegmentPlanner(segment: s.reader, cache: cache).plan(request)
            for d in live(try plan.docs(range), s.deleted) { out.append(s.reader.id(d)) }
            try s.reader.throwIfDamaged()
        }
        return out
    }
}

/// Each segment's plan, made when first needed: a newest-first search that fills its page
/// from recent segments never looks terms up (or scans dictionaries) in the others.
final class SegmentPlans {
    private let request: SearchRequest
    private let segments: [SegmentSnapshot]
    private let cache: DocStoreCache
    private let deadline: Deadline
    /// The words a segment must have to match, hashed once for every segment.
    private let required: WordRequirement
    /// Made on first use (a count answered by whole days plans nothing).
    private var made: [(any DocSet)?] = []
    /// Per segment, whether its word filter let the query's words through (nil: not asked).
    private var passed: [Bool?] = []
    /// The query when it is a bare word over every field with no filter (the commonest
    /// count): segments that stored the word's any-field count answer it without a plan.
    private let bareWord: WordKey?
    /// The query is every line (no words, no filter).
    let matchesEverything: Bool
    let idRange: ClosedRange<UInt64>

    init(
        _ request: SearchRequest, segments: [SegmentSnapshot], required: WordRequirement, cache: DocStoreCache,
        deadline: Deadline = .none
    ) {
        self.request = request
        self.segments = segments
        self.cache = cache
        self.deadline = deadline
        self.required = required
        matchesEverything = request.text == .all && request.filter == .always(true)
        idRange = request.idRange
        if case .term(let w, .all, .exact) = request.text, request.filter == .always(true) {
            bareWord = WordKey(Array(w.utf8))
        } else {
            bareWord = nil
        }
    }

    /// Segment `k`'s matches over all its documents, when it stored them (no plan is made).
    func storedCount(_ k: Int) -> Int? {
        guard let bareWord else { return nil }
        return segments[k].reader.docFreqInAnyField(bareWord)
    }

    /// Whether the query is a bare word, whose count segments and days may have stored.
    var hasStoredCounts: Bool { bareWord != nil }

    /// A whole day's matches, when each of its segments stored them.
    func storedCount(_ day: DaySummary) throws -> Int? {
        guard let bareWord else { return nil }
        // A segment that stored no count for the word is counted by its plan, once a day
        // (its time limit and cold-read bound throw through to the search).
        return try day.storedCount(bareWord) { reader in
            // As the per-segment walk does before each plan: past the time limit, or once the
            // pages read were new (a first try on an event loop), stop.
            try self.deadline.check()
            return try SegmentPlanner(segment: reader, cache: self.cache, deadline: self.deadline).plan(self.request)
                .count(0..<UInt32(reader.docCount), segmentSize: UInt32(reader.docCount))
        }
    }

    /// Whether segment `k` surely has no match: it lacks a word the query needs (its plan is
    /// then nothing, made without a look-up).
    func cannotMatch(_ k: Int) -> Bool {
        if required == .none { return false }
        if passed.isEmpty { passed = Array(repeating: nil, count: segments.count) }
        if let known = passed[k] { return !known }
        let may = required.mayMatch(segments[k].reader)
        passed[k] = may
        return !may
    }

    func plan(_ k: Int) throws -> any DocSet {
        // Every document of every segment (a GROUP BY or count of all lines): nothing to plan.
        if matchesEverything { return EverythingSet.shared }
        if cannotMatch(k) { return NothingSet.shared }
        if made.isEmpty { made = Array(repeating: nil, count: segments.count) }
        if let p = made[k] { return p }
        let p = try SegmentPlanner(segment: segments[k].reader, cache: cache, deadline: deadline).plan(request)
        made[k] = p
        return p
    }
}
