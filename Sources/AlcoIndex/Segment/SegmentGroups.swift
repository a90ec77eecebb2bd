/// A key's groups over every document of a segment: per value its count and newest ordinal,
/// and the documents without a string value. A GROUP BY over all lines (lines per level, per
/// host) reads it from the segment once and adds it per search, where each search looked the
/// key up, sized and filled two arrays and named the values again in every segment.
struct SegmentGroups: Sendable {
    /// Value names by rank.
    let names: [String]
    /// Per rank, then per rank + 1 for `names[rank]`: documents without a string value at 0.
    let counts: [Int]
    let newest: [UInt32]

    /// Keys a segment keeps groups for: a few are grouped by over and over (levels, hosts).
    static let maxKeysPerSegment = 16
}

extension SegmentReader {
    /// `key`'s groups over the whole segment, made on first use; nil when the key has number
    /// values (counted per value by the caller) or too many values to name.
    func wholeSegmentGroups(_ key: String) -> SegmentGroups? {
        if let known = groupsByKey.withLock({ $0[key] }) { return known }
        let made: SegmentGroups
        if let attr = attribute(key) {
            guard !attr.hasNumbers, let names = valueNames(key, attr) else { return nil }
            var counts = [Int](repeating: 0, count: names.count + 1)
            var newest = [UInt32](repeating: 0, count: names.count + 1)
            attr.tally(0..<UInt32(docCount), counts: &counts, newest: &newest)
            // A damaged column counts nothing: keep no groups made from it.
            guard (try? throwIfDamaged()) != nil else { return nil }
            made = SegmentGroups(names: names, counts: counts, newest: newest)
        } else {
            made = SegmentGroups(names: [], counts: [docCount], newest: [UInt32(max(0, docCount - 1))])
        }
        groupsByKey.withLock { cache in
            if cache.count < SegmentGroups.maxKeysPerSegment { cache[key] = made }
        }
        return made
    }
}
