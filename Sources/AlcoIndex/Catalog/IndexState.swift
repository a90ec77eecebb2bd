import Foundation

/// Everything of a `LogIndex` that changes, as one value behind its state lock: the realtime
/// buffer and the segment set (what a search reads), id assignment, the WAL positions, what
/// the background work needs to decide, and the index's life. Holding the lock is a call of
/// `withLock`, so no code can touch this state without it.
struct IndexState: Sendable {
    var settings: IndexSettings
    var calendar: DayCalendar
    var producerZone: TimeZone
    var buffer = RealtimeBuffer()
    var segments = SegmentSet()
    var ids = IDGenerator()
    /// Recently appended ids in arrival order, for live tails.
    var arrivals = ArrivalLog(capacity: 262_144)
    var appliedLSN: UInt64 = 0
    var checkpointLSN: UInt64 = 0
    var nextSegment = 1
    /// Positions of sources that follow streams of their own, stored with their batches.
    var marks = SourceMarks()
    var lateArrivals = LateArrivals()
    /// Message patterns: assigned at append, logged with each batch, saved at each persist.
    var patterns = PatternMiner()
    /// Patterns created or merged since the file was last written.
    var patternsDirty = false
    /// Persisted segments no longer live: their files go once a manifest without them is durable.
    var retired: [String] = []
    var lastPersistAt = DispatchTimeLike.now()
    /// When each day last got a document (monotonic ns): merges wait for a pause in that day's
    /// writes only. Days quiet for a minute are dropped.
    var lastAppendByDay: [Int: UInt64] = [:]
    /// Documents appended per second (not replayed ones): merges compress lightly at full rate.
    var appendRate = AppendRate()
    var problems: [String] = []
    var isClosed = false
    /// Set when closing: running merges give up (their inputs stay live).
    var isClosing = false

    init(settings: IndexSettings) {
        self.settings = settings
        calendar = DayCalendar(timeZone: TimeZone(identifier: settings.timeZone) ?? TimeZone(identifier: "UTC")!)
        producerZone = TimeZone(identifier: settings.producerTimeZone) ?? TimeZone(identifier: "UTC")!
    }

    /// Mutating: the calendar caches the current day's bounds.
    mutating func day(of id: UInt64) -> Int { calendar.day(ofMicroseconds: DocumentID.microseconds(of: id)) }

    /// Applies a logged change to memory (at write time and at replay).
    mutating func apply(_ record: WALRecord, lsn: UInt64, replaying: Bool) {
        switch record {
        case .insert(let docs), .replace(let docs), .insertExtended(let docs, _):
            if case .insertExtended(_, let extras) = record {
                if let mark = extras.mark { marks.record(mark, lsn: lsn) }
                // Every replayed delta is applied: ids already known are skipped, so what the
                // saved file holds is not added twice.
                if replaying, let delta = extras.patterns {
                    let known = patterns.patterns.count
                    if !patterns.apply(delta) {
                        report("patterns \(known)..<\(delta.firstID) of index \(settings.name) were lost with a batch that was never stored; their ids are held")
                    }
                    if patterns.patterns.count != known { patternsDirty = true }
                }
            }
            // Replay replaces too: a record may be replayed over what a checkpoint already holds.
            let replace: Bool = {
                switch record {
                case .replace: return true
                case .insertExtended(_, let extras): return extras.replaces || replaying
                default: return replaying
                }
            }()
            let now = DispatchTimeLike.now()
            var lastDay: Int?
            for d in docs {
                if replace { _ = delete(d.id) }
                let day = calendar.day(ofMicroseconds: d.microseconds)
                buffer.insert(d, day: day, lsn: lsn, now: now)
                ids.observe(d.id)
                // Once per run of one day's lines (a batch is mostly one day).
                if !replaying && day != lastDay {
                    lastAppendByDay[day] = now
                    lastDay = day
                }
            }
            if !replaying { appendRate.note(docs.count, now: now) }
            if !replaying && lastAppendByDay.count > 8 {
                lastAppendByDay = lastAppendByDay.filter { now &- $0.value < 60_000_000_000 }
            }
        case .delete(let ids):
            for id in ids { _ = delete(id) }
        case .truncate:
            retired += segments.removeAll().filter(\.isPersisted).map(\.name)
            buffer.removeAll()
        }
    }

    /// Counts the times older than the retention keeps (see `LateArrivals`).
    mutating func noteLateArrivals<S: Sequence>(_ times: S, now: Int64) where S.Element == Int64 {
        let today = calendar.day(ofMicroseconds: now)
        guard let first = calendar.day(offsetDays: -(settings.retentionDays - 1), from: today),
            let cutoff = calendar.startMicroseconds(ofDay: first)
        else { return }
        var late = 0
        var oldest = Int64.max
        for t in times where t < cutoff {
            late += 1
            oldest = min(oldest, t)
        }
        guard late > 0 else { return }
        lateArrivals.lines += late
        lateArrivals.oldestMicroseconds = min(lateArrivals.oldestMicroseconds, oldest)
        lateArrivals.lastArrivedMicroseconds = now
    }

    /// The batch's documents with their ids: given ids checked for duplicates (INSERT),
    /// missing ones assigned from each document's time.
    mutating func assignIDs(_ batch: [NewDocument], _ prepared: [(js: String, us: Int64, pattern: UInt32?)], mode: WriteMode, index: String) throws -> [Document] {
        var docs: [Document] = []
        docs.reserveCapacity(prepared.count)
        var inBatch = Set<UInt64>()
        // The generator is moved out while it works, since its probe looks into the state.
        var generator = IDGenerator(node: ids.node)
        swap(&generator, &ids)
        defer { swap(&generator, &ids) }
        for (k, p) in prepared.enumerated() {
            let id: UInt64
            if let given = batch[k].id {
                id = given
                if mode == .insert && (inBatch.contains(id) || contains(id)) {
                    throw AlcoError.duplicateID(id, index: index)
                }
            } else {
                guard let next = generator.next(microseconds: p.us, hint: batch[k].sequenceHint, exists: { inBatch.contains($0) || contains($0) })
                else { throw AlcoError.invalidDocument("no free id is left at time \(p.us) µs") }
                id = next
            }
            inBatch.insert(id)
            docs.append(Document(id: id, logline: batch[k].logline, js: p.js, pattern: p.pattern))
        }
        return docs
    }

    mutating func contains(_ id: UInt64) -> Bool {
        let day = day(of: id)
        return buffer.locate(id, day: day) != nil || segments.locate(id, day: day) != nil
    }

    /// Deletes a live document wherever it is; false when there is none.
    mutating func delete(_ id: UInt64) -> Bool {
        let day = day(of: id)
        return buffer.remove(id, day: day) || segments.delete(id, day: day)
    }

    /// The next segment's name in `day`.
    mutating func takeSegmentName(day: Int) -> String {
        defer { nextSegment += 1 }
        let n = String(nextSegment)
        return "\(day)-" + String(repeating: "0", count: max(0, 8 - n.count)) + n
    }

    /// Adds a problem, unless it repeats the last one (background work that keeps failing).
    mutating func report(_ problem: String) {
        if problems.last != problem { problems.append(problem) }
    }
}
