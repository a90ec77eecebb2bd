/// Reading an index's message patterns: the table, filters on a pattern (its merged-away ids
/// included), and counts over what a search matches.
extension LogIndex {
    /// One pattern and how many matching lines it has.
    public struct PatternCount: Sendable {
        public var pattern: PatternMiner.Pattern
        public var count: Int
    }

    /// Every pattern the index has assigned, by id.
    public var patterns: [PatternMiner.Pattern] { state.withLock { $0.patterns.patterns } }

    /// The pattern `id` is now (following merges); nil when there is no such id.
    public func resolvePattern(_ id: UInt32) -> UInt32? {
        state.withLock { s in Int(id) < s.patterns.patterns.count ? s.patterns.resolve(id) : nil }
    }

    /// Lines of pattern `id`: those given it, or a pattern that merged into it.
    public func patternFilter(_ id: UInt32) -> Filter {
        let ids: [UInt32] = state.withLock { s in
            guard Int(id) < s.patterns.patterns.count else { return [id] }
            let target = s.patterns.resolve(id)
            return s.patterns.patterns.indices.compactMap { k in s.patterns.resolve(UInt32(k)) == target ? UInt32(k) : nil }
        }
        return .oneOf(key: "pattern", values: ids.map { .string(String($0)) })
    }

    /// Patterns of the lines `request` matches, with counts, most frequent first (merged
    /// ids counted with the pattern they went into). `firstSeenSince`: only patterns first
    /// seen at or after that time.
    public func patternCounts(_ request: SearchRequest, firstSeenSince: Int64? = nil) throws -> [PatternCount] {
        var r = request
        r.groupBy = "pattern"
        r.limit = 0
        r.loadDocuments = false
        let result = try search(r)
        let miner = state.withLock { $0.patterns }  // a copy-on-write snapshot
        var counts: [UInt32: Int] = [:]
        for g in result.groups {
            guard let text = g.value, let id = UInt32(text), Int(id) < miner.patterns.count else { continue }
            counts[miner.resolve(id), default: 0] += g.count
        }
        return counts.compactMap { id, count in
            let p = miner.patterns[Int(id)]
            if let since = firstSeenSince, p.firstSeen < since { return nil }
            return PatternCount(pattern: p, count: count)
        }.sorted { $0.count != $1.count ? $0.count > $1.count : $0.pattern.id < $1.pattern.id }
    }
}
