import AlcoIndex

/// `SELECT … FROM a, b`: one request over several tables, answered as Sphinx answers a search
/// over several indexes: one result, ordered and limited as a whole, each id once.
///
/// Tables of the same index become one search over the union of their days; different
/// indexes are searched apart and their results merged here.
struct UnionSearch {
    struct Target {
        var index: LogIndex
        var partitions: PartitionSelection
    }

    /// A search, and ways to count every match and each word's documents later on the same
    /// snapshots.
    struct Outcome {
        var result: SearchResult
        /// Counts every match within a time limit (ms; nil: none).
        var countAll: @Sendable (Int?) throws -> (count: Int, timedOut: Bool)
        var keywords: @Sendable () -> [KeywordStats]
    }

    static func targets(_ tables: [TableName], catalog: Catalog) -> [Target] {
        var out: [Target] = []
        for t in tables {
            guard let index = catalog.indexIfExists(t.index) else { continue }
            if let k = out.firstIndex(where: { $0.index === index }) {
                out[k].partitions = out[k].partitions.union(t.partitions)
            } else {
                out.append(Target(index: index, partitions: t.partitions))
            }
        }
        return out
    }

    static func run(_ request: SearchRequest, on targets: [Target]) throws -> Outcome {
        var parts: [(SearchResult, [SegmentSnapshot])] = []
        var sub = request
        if targets.count > 1 {
            // Each part returns everything that could make the merged window.
            sub.offset = 0
            sub.limit = request.groupBy != nil ? request.maxMatches : request.window
        }
        for t in targets {
            var r = sub
            r.partitions = t.partitions
            parts.append(try t.index.searchKeepingSnapshot(r))
        }
        let countAll = counter(request, parts.map(\.1))
        let keywords = keywordCounter(request.text, parts.map(\.1))
        guard parts.count > 1 else { return Outcome(result: parts[0].0, countAll: countAll, keywords: keywords) }
        return Outcome(result: merge(request, parts.map(\.0)), countAll: countAll, keywords: keywords)
    }

    /// Each word's documents over every part's segments, in the query's order.
    private static func keywordCounter(_ text: TextQuery, _ snapshots: [[SegmentSnapshot]]) -> @Sendable () -> [KeywordStats] {
        let segments = snapshots.flatMap { $0 }
        return { Searcher.keywordStats(text, segments: segments) }
    }

    private static func counter(_ request: SearchRequest, _ snapshots: [[SegmentSnapshot]]) -> @Sendable (Int?) throws -> (count: Int, timedOut: Bool) {
        var counting = request
        counting.limit = 0
        counting.offset = 0
        counting.countTotal = true
        counting.loadDocuments = false
        counting.snippet = nil
        if counting.order != .relevance { counting.order = .idDescending }
        let r = counting
        return { limit in
            var timed = r
            timed.timeLimitMilliseconds = limit
            timed.coldReadLimitBytes = nil  // the count's own time limit is what bounds it
            var count = 0
            for snapshot in snapshots {
                let found = try Searcher.search(timed, segments: snapshot)
                count += found.totalFound
                if found.timedOut { return (count, true) }
            }
            return (count, false)
        }
    }

    static func merge(_ request: SearchRequest, _ results: [SearchResult]) -> SearchResult {
        var out = SearchResult()
        out.totalFound = results.reduce(0) { $0 + $1.totalFound }
        out.totalIsExact = results.allSatisfy(\.totalIsExact)
        out.timedOut = results.contains(where: \.timedOut)
        out.elapsedNanoseconds = results.reduce(0) { $0 + $1.elapsedNanoseconds }
        out.segmentsSearched = results.reduce(0) { $0 + $1.segmentsSearched }
        if request.groupBy != nil {
            var merged: [String?: GroupCount] = [:]
            var hitByID: [UInt64: Hit] = [:]
            for r in results {
                for h in r.hits { hitByID[h.id] = h }
                for g in r.groups {
                    if var m = merged[g.value] {
                        m.count += g.count
                        m.representativeID = max(m.representativeID, g.representativeID)
                        merged[g.value] = m
                    } else {
                        merged[g.value] = g
                    }
                }
            }
            out.groups = merged.values.sorted { $0.count != $1.count ? $0.count > $1.count : ($0.value ?? "") < ($1.value ?? "") }
            out.totalFound = out.groups.count
            out.totalIsExact = true
            out.hits = out.groups.dropFirst(request.offset).prefix(request.limit).compactMap { hitByID[$0.representativeID] }
            return out
        }

        var seen = Set<UInt64>()
        var hits = results.flatMap(\.hits).filter { seen.insert($0.id).inserted }
        switch request.order {
        case .idAscending: hits.sort { $0.id < $1.id }
        case .idDescending: hits.sort { $0.id > $1.id }
        case .relevance: hits.sort { $0.weight != $1.weight ? $0.weight > $1.weight : $0.id < $1.id }
        }
        out.hits = Array(hits.prefix(request.window).dropFirst(request.offset))
        return out
    }
}
