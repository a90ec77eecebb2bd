/// A GROUP BY's counts across segments: per group its count and newest id, in slots found by
/// the group's value. Segments of one key mostly name the same values in the same order (a
/// key's few levels, its hosts): a segment whose names are the previous segment's reuses that
/// segment's slots, so hashing a value happens once per distinct list of names, not once per
/// segment and group (Swift's string hash was a quarter of a GROUP BY over many segments).
struct GroupTally {
    private var values: [String?] = []
    private var counts: [Int] = []
    private var newest: [UInt64] = []
    private var slotOf: [String?: Int] = [:]
    private var lastNames: [String] = []
    private var lastSlots: [Int] = []
    private var lastDayValues: [String?] = []
    private var lastDaySlots: [Int] = []

    /// The slot of `value`, made on first sight.
    mutating func slot(_ value: String?) -> Int {
        if let s = slotOf[value] { return s }
        let s = values.count
        values.append(value)
        counts.append(0)
        newest.append(0)
        slotOf[value] = s
        return s
    }

    /// The slots of a segment's value names, rank by rank.
    mutating func slots(named names: [String]) -> [Int] {
        if names != lastNames {
            lastSlots = names.map { slot($0) }
            lastNames = names
        }
        return lastSlots
    }

    /// Adds a day's groups. Days name the same values in the same order more often than not
    /// (a key's few levels, largest first), so their slots are looked up once, as a segment's
    /// names are: hashing each group's value every day was a fifth of a GROUP BY over 11 days.
    mutating func add(day groups: [GroupCount]) {
        if groups.count != lastDayValues.count || !zip(groups, lastDayValues).allSatisfy({ $0.value == $1 }) {
            lastDayValues = groups.map(\.value)
            lastDaySlots = groups.map { slot($0.value) }
        }
        for (g, s) in zip(groups, lastDaySlots) {
            counts[s] += g.count
            newest[s] = max(newest[s], g.representativeID)
        }
    }

    mutating func add(_ value: String?, count: Int, newest id: UInt64) {
        let s = slot(value)
        counts[s] += count
        newest[s] = max(newest[s], id)
    }

    /// Adds to slot `s` a segment's count with its newest line as an ordinal of `reader`: the
    /// id is read only when the segment's ids reach past the newest the group has (searched
    /// newest first, older segments read none).
    mutating func add(slot s: Int, count: Int, newest ordinal: UInt32, of reader: SegmentReader) {
        counts[s] += count
        if reader.maxID > newest[s] { newest[s] = max(newest[s], reader.id(ordinal)) }
    }

    /// Adds a segment's counts by value rank: rank 0 its lines without a string value, rank
    /// `r + 1` those with `names[r]`; newest lines as ordinals of `reader`.
    mutating func add(ranks counts: [Int], newest: [UInt32], names: [String], of reader: SegmentReader) {
        if counts[0] > 0 { add(slot: slot(nil), count: counts[0], newest: newest[0], of: reader) }
        let slots = slots(named: names)
        for rank in names.indices where counts[rank + 1] > 0 {
            add(slot: slots[rank], count: counts[rank + 1], newest: newest[rank + 1], of: reader)
        }
    }

    /// The groups, largest first (then by value); a value some segment names but no match
    /// has is none.
    var groups: [GroupCount] {
        values.indices.filter { counts[$0] > 0 }
            .map { GroupCount(value: values[$0], count: counts[$0], representativeID: newest[$0]) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : ($0.value ?? "") < ($1.value ?? "") }
    }
}
