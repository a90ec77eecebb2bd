/// A segment of a day partition with its current tombstones.
struct LiveSegment: Sendable {
    let name: String
    let day: Int
    let reader: SegmentReader
    var deleted: DeletionSet
    /// Whether its file is on disk (and named by the manifest once one is written).
    var isPersisted: Bool
    /// Tombstones its `.del` file holds.
    var persistedDeletions: Int

    var hasUnpersistedDeletions: Bool { isPersisted && deleted.count != persistedDeletions }
}

/// The index's immutable segments by day. A value: a search copies the set under the state
/// lock and reads that version while seals, merges and deletions make new ones (copy on write
/// shares every day and tombstone set they did not change), so the set a search holds never
/// changes under it.
struct SegmentSet: Sendable {
    private var days: [Int: [LiveSegment]] = [:] {
        didSet { everySegment = nil }
    }
    /// The snapshot of every segment, made once per version of the set: most searches take
    /// it, and building it (a retain and a tombstone set per segment, released after the
    /// search) cost a search over a few hundred segments more than skipping them.
    private var everySegment: [SegmentSnapshot]?
    /// Each day's summary for its current segments; a change to a day drops its own.
    private var summaries: [Int: DaySummary] = [:]

    var dayNumbers: Dictionary<Int, [LiveSegment]>.Keys { days.keys }

    /// Every segment, days in ascending order.
    var all: [LiveSegment] { days.keys.sorted().flatMap { days[$0]! } }

    func segments(inDay day: Int) -> [LiveSegment] { days[day] ?? [] }

    mutating func snapshot(_ selection: PartitionSelection) -> [SegmentSnapshot] {
        if selection == .all, let everySegment { return everySegment }
        // In time order (days ascending, a day's segments by first id): a search that orders
        // segments from an edge then finds them ordered already.
        var out: [SegmentSnapshot] = []
        for day in days.keys.sorted() where selection.contains(day: day) {
            let segments = days[day]!
            let summary = summaries[day] ?? DaySummary(segments)
            summaries[day] = summary
            for s in segments { out.append(SegmentSnapshot(reader: s.reader, deleted: s.deleted, day: summary)) }
        }
        if selection == .all { everySegment = out }
        return out
    }

    /// The segment and ordinal of a live document of `day`.
    func locate(_ id: UInt64, day: Int) -> (index: Int, ordinal: UInt32)? {
        guard let segments = days[day] else { return nil }
        for (k, s) in segments.enumerated() where id >= s.reader.minID && id <= s.reader.maxID {
            if let o = s.reader.ordinal(of: id), !s.deleted.contains(o) { return (k, o) }
        }
        return nil
    }

    /// Tombstones a live document; false when no segment of `day` holds it.
    mutating func delete(_ id: UInt64, day: Int) -> Bool {
        guard let (k, o) = locate(id, day: day) else { return false }
        summaries[day] = nil
        days[day]![k].deleted.insert(o)
        return true
    }

    mutating func add(_ segment: LiveSegment) {
        summaries[segment.day] = nil
        days[segment.day, default: []].append(segment)
    }

    /// Replaces a day's segments named `sources` by `merged`; false (and no change) when any
    /// source is gone.
    mutating func replace(_ sources: Set<String>, inDay day: Int, with merged: [LiveSegment]) -> Bool {
        guard let segments = days[day], sources.allSatisfy({ n in segments.contains { $0.name == n } }) else { return false }
        summaries[day] = nil
        // Kept in order of first id, as sealing appends them (see `snapshot`).
        days[day] = (segments.filter { !sources.contains($0.name) } + merged).sorted { $0.reader.minID < $1.reader.minID }
        return true
    }

    /// Changes one segment in place (its tombstones, its persisted state).
    mutating func update(_ name: String, inDay day: Int, _ change: (inout LiveSegment) -> Void) {
        guard let k = days[day]?.firstIndex(where: { $0.name == name }) else { return }
        summaries[day] = nil
        change(&days[day]![k])
    }

    /// Removes segments by name (a flush drops those whose every document was deleted).
    mutating func remove(_ names: Set<String>) {
        guard !names.isEmpty else { return }
        for day in Array(days.keys) where days[day]!.contains(where: { names.contains($0.name) }) {
            summaries[day] = nil
            days[day]!.removeAll { names.contains($0.name) }
            if days[day]!.isEmpty { days[day] = nil }
        }
    }

    /// Removes a day's segments and returns them (retention).
    mutating func removeDay(_ day: Int) -> [LiveSegment] {
        summaries[day] = nil
        return days.removeValue(forKey: day) ?? []
    }

    /// Removes every segment and returns them (TRUNCATE).
    mutating func removeAll() -> [LiveSegment] {
        defer {
            days = [:]
            summaries = [:]
        }
        return days.values.flatMap { $0 }
    }

    /// Each day's segments as the merge policy sees them.
    var mergeDays: [MergePolicy.Day] {
        days.map { day, segments in
            MergePolicy.Day(
                day: day,
                persisted: segments.filter(\.isPersisted).map {
                    MergePolicy.Segment(
                        name: $0.name, docCount: $0.reader.docCount, deleted: $0.deleted.count, minID: $0.reader.minID,
                        storeLevel: $0.reader.store.level)
                },
                segmentCount: segments.count)
        }
    }

    /// A merge plan's segments, or nil when any of them is no longer live.
    func resolve(_ plan: MergePolicy.Plan?) -> (day: Int, sources: [LiveSegment], compression: StoreCompression)? {
        guard let plan, let segments = days[plan.day] else { return nil }
        let sources = plan.segments.compactMap { name in segments.first { $0.name == name } }
        return sources.count == plan.segments.count ? (plan.day, sources, plan.compression) : nil
    }

    /// What the manifest names: the persisted segments, days in order.
    var manifestEntries: [Manifest.Entry] {
        all.filter(\.isPersisted).map {
            Manifest.Entry(
                name: $0.name, day: $0.day, docs: $0.reader.docCount, minID: $0.reader.minID,
                maxID: $0.reader.maxID, deletions: $0.persistedDeletions)
        }
    }
}
