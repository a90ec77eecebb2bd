/// Documents written but not yet in a segment, per day partition, and the seal turning them
/// into segments. While a seal builds, its documents are in neither the buffer nor a segment:
/// their ids stay findable here (one sorted array per day, binary-searched) and deletable (the
/// deletion is remembered and applied to the segments the seal installs).
///
/// A value guarded by the index's state lock; one seal runs at a time (the index's seal lock).
struct RealtimeBuffer: Sendable {
    private struct Day: Sendable {
        var documents: [UInt64: Document] = [:]
        var bytes = 0
        /// LSN of the oldest record whose documents may still be here.
        var oldestLSN: UInt64?
    }

    /// Where a live document of the buffer is.
    enum Location: Equatable {
        case buffered
        case sealing
    }

    /// What a seal takes: each day's documents, sorted by id.
    typealias SealWork = [(day: Int, documents: [Document])]

    /// Deletions and truncation that happened while a seal was building.
    struct SealOutcome: Sendable {
        var deleted: Set<UInt64>
        var truncated: Bool
    }

    private var days: [Int: Day] = [:]
    /// Buffered documents (not those being sealed).
    private(set) var count = 0
    /// Their `bufferCost`, summed.
    private(set) var bytes = 0
    /// When the oldest buffered document arrived (monotonic ns).
    private(set) var oldestArrival: UInt64?

    private var sealing: [(day: Int, ids: [UInt64])] = []
    private var sealingOldestLSN: UInt64?
    /// Ids deleted while being sealed, with their day (for per-day counts).
    private var deletedWhileSealing: [UInt64: Int] = [:]
    private var truncatedWhileSealing = false

    var isSealing: Bool { !sealing.isEmpty }

    /// Documents a search must wait for: buffered, or in a seal that has not installed yet.
    var hasUnsealed: Bool { count > 0 || isSealing }

    /// The oldest LSN whose documents are not in a segment yet: the WAL must keep it.
    var oldestUnsealedLSN: UInt64? {
        var oldest = sealingOldestLSN
        for d in days.values {
            if let m = d.oldestLSN { oldest = min(oldest ?? m, m) }
        }
        return oldest
    }

    /// Adds (or replaces) a document of `day`, logged at `lsn`, arrived at `now`.
    mutating func insert(_ document: Document, day: Int, lsn: UInt64, now: UInt64) {
        let (added, bytesDelta) = Self.put(document, lsn: lsn, into: &days[day, default: Day()])
        if added { count += 1 }
        bytes += bytesDelta
        if oldestArrival == nil { oldestArrival = now }
    }

    /// Whether the document is new to the day, and the change in the day's bytes.
    private static func put(_ document: Document, lsn: UInt64, into d: inout Day) -> (Bool, Int) {
        let old = d.documents.updateValue(document, forKey: document.id)
        let delta = document.bufferCost - (old?.bufferCost ?? 0)
        d.bytes += delta
        if d.oldestLSN == nil { d.oldestLSN = lsn }
        return (old == nil, delta)
    }

    func locate(_ id: UInt64, day: Int) -> Location? {
        if deletedWhileSealing[id] == nil && isBeingSealed(id) { return .sealing }
        return days[day]?.documents[id] != nil ? .buffered : nil
    }

    /// Deletes a live document; false when the buffer does not hold it.
    mutating func remove(_ id: UInt64, day: Int) -> Bool {
        switch locate(id, day: day) {
        case nil:
            return false
        case .sealing:
            deletedWhileSealing[id] = day
        case .buffered:
            let old = days[day]!.documents.removeValue(forKey: id)!
            days[day]!.bytes -= old.bufferCost
            count -= 1
            bytes -= old.bufferCost
        }
        return true
    }

    private func isBeingSealed(_ id: UInt64) -> Bool {
        for (_, ids) in sealing where !ids.isEmpty && id >= ids[0] && id <= ids[ids.count - 1] {
            var lo = 0
            var hi = ids.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if ids[mid] < id { lo = mid + 1 } else { hi = mid }
            }
            if lo < ids.count && ids[lo] == id { return true }
        }
        return false
    }

    /// Takes every buffered document for a seal; they stay findable until `endSeal`.
    mutating func beginSeal() -> SealWork {
        var work: SealWork = []
        for (day, d) in days where !d.documents.isEmpty {
            // Sorted here so the ids being sealed are one sorted array rather than a
            // dictionary entry per document.
            let documents = d.documents.values.sorted { $0.id < $1.id }
            sealing.append((day, documents.map(\.id)))
            work.append((day, documents))
            if let m = d.oldestLSN { sealingOldestLSN = min(sealingOldestLSN ?? m, m) }
        }
        days = [:]
        count = 0
        bytes = 0
        oldestArrival = nil
        truncatedWhileSealing = false
        deletedWhileSealing = [:]
        return work
    }

    /// Ends the seal: what was deleted meanwhile (to apply to the built segments), and
    /// whether the index was truncated meanwhile (then nothing is installed).
    mutating func endSeal() -> SealOutcome {
        defer {
            sealing = []
            sealingOldestLSN = nil
            deletedWhileSealing = [:]
            truncatedWhileSealing = false
        }
        return SealOutcome(deleted: Set(deletedWhileSealing.keys), truncated: truncatedWhileSealing)
    }

    /// Ends a seal that failed: its documents come back (less those deleted meanwhile), held
    /// from the seal's oldest LSN so the WAL keeps them.
    mutating func abortSeal(_ work: SealWork, now: UInt64) {
        let lsn = sealingOldestLSN ?? 0
        let outcome = endSeal()
        guard !outcome.truncated else { return }
        for (day, documents) in work {
            for d in documents where !outcome.deleted.contains(d.id) { insert(d, day: day, lsn: lsn, now: now) }
        }
    }

    /// Drops everything (TRUNCATE); a seal in progress installs nothing.
    mutating func removeAll() {
        days = [:]
        count = 0
        bytes = 0
        oldestArrival = nil
        if isSealing { truncatedWhileSealing = true }
    }

    /// Drops a day's buffered documents (retention).
    mutating func removeDay(_ day: Int) {
        guard let d = days.removeValue(forKey: day) else { return }
        count -= d.documents.count
        bytes -= d.bytes
        if count == 0 { oldestArrival = nil }
    }

    /// Days with documents buffered or being sealed.
    var dayNumbers: Set<Int> { Set(days.keys).union(sealing.map(\.day)) }

    /// Live documents of a day: buffered, and being sealed (less those deleted meanwhile).
    func documents(inDay day: Int) -> (buffered: Int, sealing: Int) {
        var inSeal = 0
        for (d, ids) in sealing where d == day { inSeal += ids.count }
        for d in deletedWhileSealing.values where d == day { inSeal -= 1 }
        return (days[day]?.documents.count ?? 0, inSeal)
    }

    /// The smallest and largest id held (buffered or being sealed) in the days `wanted` takes.
    func idRange(days wanted: (Int) -> Bool = { _ in true }) -> ClosedRange<UInt64>? {
        var lo: UInt64?
        var hi: UInt64?
        for (day, ids) in sealing where !ids.isEmpty && wanted(day) {
            lo = min(lo ?? ids[0], ids[0])
            hi = max(hi ?? ids[ids.count - 1], ids[ids.count - 1])
        }
        for (day, d) in days where wanted(day) {
            for id in d.documents.keys {
                lo = min(lo ?? id, id)
                hi = max(hi ?? id, id)
            }
        }
        guard let lo, let hi else { return nil }
        return lo...hi
    }
}
