import Synchronization

/// What a day partition's segments add up to, for one version of that day's segment list: a
/// GROUP BY over every line of a day is read from here once made, so a search over many days
/// pays per day, not per segment (a day right after a fast ingest has a few dozen segments
/// until merges catch up). A seal, merge or deletion in the day makes the set give the day a
/// new summary; the other days keep theirs.
final class DaySummary: Sendable {
    /// The day's segments in this version.
    let segments: [SegmentReader]
    let minID: UInt64
    let maxID: UInt64
    let docCount: Int
    /// No segment of the day has tombstones (only then do whole-segment groups count its lines).
    let hasNoDeletions: Bool
    /// Segments with documents: those a search of the whole day lists.
    let nonEmptySegments: Int
    private let groupsByKey = Mutex<[String: [GroupCount]]>([:])
    /// Few words, found by a scan: hashing the word for a dictionary was most of what a count
    /// over a dozen days did per day.
    private let countsByWord = Mutex<[(word: WordKey, count: Int)]>([])

    /// Keys a day keeps groups for, and groups a key may have to be kept.
    static let maxKeys = 16
    static let maxGroups = 4_096
    /// Words a day keeps its count of.
    static let maxWords = 64

    init(_ segments: [LiveSegment]) {
        self.segments = segments.map(\.reader)
        minID = segments.map(\.reader.minID).min() ?? 0
        maxID = segments.map(\.reader.maxID).max() ?? 0
        docCount = segments.reduce(0) { $0 + $1.reader.docCount }
        hasNoDeletions = segments.allSatisfy { $0.deleted.isEmpty }
        nonEmptySegments = segments.reduce(0) { $0 + ($1.reader.docCount > 0 ? 1 : 0) }
    }

    /// The day's lines with `word` in any text field: each segment's stored count, or what
    /// `counting` finds in a segment that stored none (a word in one field only, or not
    /// frequent there: one segment of a day was enough to send every query of the day through
    /// its ~30 segments one by one). Kept once known; nil when a segment's count is unknown.
    func storedCount(_ word: WordKey, counting: (SegmentReader) throws -> Int? = { _ in nil }) rethrows -> Int? {
        if let known = countsByWord.withLock({ $0.first { $0.word == word }?.count }) { return known }
        var total = 0
        for reader in segments where reader.docCount > 0 {
            guard let n = try reader.docFreqInAnyField(word) ?? counting(reader) else { return nil }
            total += n
        }
        countsByWord.withLock { cache in
            if cache.count < DaySummary.maxWords, !cache.contains(where: { $0.word == word }) { cache.append((word, total)) }
        }
        return total
    }

    /// Every line of the day counted by `key`'s value, made on first use from each segment's
    /// `wholeSegmentGroups`; nil when a segment has none to give (number values, too many
    /// names) or the day has more groups than it keeps.
    func groups(_ key: String) -> [GroupCount]? {
        if let known = groupsByKey.withLock({ $0[key] }) { return known }
        var tally = GroupTally()
        for reader in segments {
            guard let groups = reader.wholeSegmentGroups(key) else { return nil }
            tally.add(ranks: groups.counts, newest: groups.newest, names: groups.names, of: reader)
        }
        let day = tally.groups
        guard day.count <= DaySummary.maxGroups else { return nil }
        groupsByKey.withLock { cache in
            if cache.count < DaySummary.maxKeys { cache[key] = day }
        }
        return day
    }
}
