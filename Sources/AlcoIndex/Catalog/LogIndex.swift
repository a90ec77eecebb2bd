import Foundation

/// One named log stream: day partitions of segments, a realtime buffer, a write-ahead log and
/// the column registry.
///
/// Writes are applied in memory and queued to the WAL under the state lock (so LSN order is
/// apply order), then wait for the group fsync. Searches seal the buffer into an immutable
/// segment and work on a snapshot of the segment list, so they never see a half-applied batch.
public final class LogIndex: @unchecked Sendable {
    public let name: String
    public let directory: String
    public let columns: ColumnRegistry
    let options: EngineOptions
    var wal: WriteAheadLog!

    /// A segment of a partition with its current tombstones.
    struct LiveSegment {
        let name: String
        let reader: SegmentReader
        var deleted: DeletionSet
        var isPersisted: Bool
        var persistedDeletions: Int
    }

    final class Partition {
        let day: Int
        var buffer: [UInt64: Document] = [:]
        var bufferBytes = 0
        /// LSN of the oldest record whose documents may still be in `buffer`.
        var bufferMinLSN: UInt64?
        var segments: [LiveSegment] = []
        init(day: Int) { self.day = day }
    }

    // Lock order: maintenanceLock, sealLock, stateLock, the WAL's own lock.
    let maintenanceLock = ConditionLock()
    let mergeLock = ConditionLock()
    let sealLock = ConditionLock()
    let stateLock = ConditionLock()

    // Guarded by stateLock.
    var settingsValue: IndexSettings
    var partitions: [Int: Partition] = [:]
    var calendar: DayCalendar
    var producerCalendarZone: TimeZone
    var ids = IDGenerator()
    var appliedLSN: UInt64 = 0
    /// Recently appended ids in arrival order, for live tails.
    var arrivalLog = ArrivalLog(capacity: 262_144)
    var checkpointLSN: UInt64 = 0
    var nextSegment = 1
    /// Ids a seal is building into segments (one sorted array per day partition).
    var sealing: [(day: Int, ids: [UInt64])] = []
    var sealingMinLSN: UInt64?
    var deletedWhileSealing = Set<UInt64>()
    var truncatedWhileSealing = false
    var oldestBufferedAt: UInt64?
    var bufferedDocs = 0
    /// Persisted segments no longer live: their files go once a manifest without them is durable.
    var retired: [String] = []
    var lastPersistAt = DispatchTimeLike.now()
    /// When the last document arrived (monotonic ns), so merges can wait for a pause.
    var lastAppendAt: UInt64 = 0
    var problemsValue: [String] = []
    var isClosed = false
    /// Set when closing: running merges give up (their inputs stay live).
    var isClosing = false

    var segmentsDirectory: String { directory + "/segments" }
    var manifestPath: String { directory + "/manifest.json" }

    init(directory: String, settings: IndexSettings, options: EngineOptions) throws {
        self.name = settings.name
        self.directory = directory
        self.options = options
        self.settingsValue = settings
        calendar = DayCalendar(timeZone: TimeZone(identifier: settings.timeZone) ?? TimeZone(identifier: "UTC")!)
        producerCalendarZone = TimeZone(identifier: settings.producerTimeZone) ?? TimeZone(identifier: "UTC")!
        try FileSystem.makeDirectory(directory + "/segments")
        FileSystem.removeTemporaryFiles(in: directory)
        columns = ColumnRegistry(path: directory + "/columns.json", quarantine: directory + "/quarantine")
        if let p = columns.loadProblem { problemsValue.append(p) }
        let manifest = try Manifest.read(directory + "/manifest.json")
        checkpointLSN = manifest.checkpointLSN
        nextSegment = manifest.nextSegment
        for entry in manifest.segments {
            do {
                let mapped = try MappedFile(path: segmentsDirectory + "/" + entry.name + ".seg")
                let reader = try SegmentReader(name: entry.name, storage: SegmentStorage(mapped: mapped))
                var deleted = DeletionSet(docCount: reader.docCount)
                if entry.deletions > 0 {
                    deleted = try DeletionFile.read(segmentsDirectory + "/" + entry.name + ".del", docCount: reader.docCount)
                }
                partition(entry.day).segments.append(
                    LiveSegment(name: entry.name, reader: reader, deleted: deleted, isPersisted: true, persistedDeletions: deleted.count))
                if reader.docCount > 0 { ids.observe(reader.maxID) }
            } catch {
                problemsValue.append("segment \(entry.name) of index \(settings.name) was not loaded: \(error)")
                quarantine(entry.name)
            }
        }
        // Files the manifest does not name are leftovers of an interrupted flush or merge.
        let named = Set(manifest.segments.map(\.name))
        for file in FileSystem.list(segmentsDirectory) {
            let base = file.hasSuffix(".seg") || file.hasSuffix(".del") ? String(file.dropLast(4)) : file
            if !named.contains(base) { FileSystem.remove(segmentsDirectory + "/" + file) }
        }
        appliedLSN = checkpointLSN
        let report = try WriteAheadLog.replay(directory: directory + "/wal", after: checkpointLSN,
                                              quarantine: directory + "/quarantine") { lsn, record in
            self.apply(record, lsn: lsn, replaying: true)
            self.appliedLSN = lsn
        }
        problemsValue.append(contentsOf: report.warnings)
        wal = try WriteAheadLog(directory: directory + "/wal", lastLSN: report.lastLSN, syncEnabled: options.syncWrites)
    }

    /// Moves an unreadable segment aside so it is never served and never deleted unseen.
    private func quarantine(_ segment: String) {
        let dir = directory + "/quarantine"
        try? FileSystem.makeDirectory(dir)
        for ext in [".seg", ".del"] {
            let from = segmentsDirectory + "/" + segment + ext
            if FileSystem.exists(from) { rename(from, dir + "/" + segment + ext) }
        }
    }

    public var settings: IndexSettings { stateLock.withLock { settingsValue } }
    public var problems: [String] { stateLock.withLock { problemsValue } }

    /// Adds a problem to what `problems` reports (and `alco serve` logs at start).
    func report(_ problem: String) { stateLock.withLock { problemsValue.append(problem) } }

    func update(settings: IndexSettings) {
        stateLock.withLock {
            settingsValue = settings
            calendar = DayCalendar(timeZone: TimeZone(identifier: settings.timeZone) ?? calendar.timeZone)
            producerCalendarZone = TimeZone(identifier: settings.producerTimeZone) ?? producerCalendarZone
        }
    }

    /// The zone producers' `@timestamp`s are in.
    public var producerTimeZone: TimeZone { stateLock.withLock { producerCalendarZone } }
    /// The zone of the index's day boundaries, in which its times are shown.
    public var timeZone: TimeZone { stateLock.withLock { calendar.timeZone } }

    /// The day partition (`YYYYMMDD`) of a time, in the index's zone.
    public func day(ofMicroseconds us: Int64) -> Int { stateLock.withLock { calendar.day(ofMicroseconds: us) } }

    /// First µs of a day in the index's zone.
    public func startOfDay(_ day: Int) -> Int64? { stateLock.withLock { calendar.startMicroseconds(ofDay: day) } }

    func partition(_ day: Int) -> Partition {
        if let p = partitions[day] { return p }
        let p = Partition(day: day)
        partitions[day] = p
        return p
    }

    // MARK: writes

    /// The arrival sequence the next appended document will get (see `arrivals(since:limit:)`).
    public var arrivalSequence: UInt64 { stateLock.withLock { arrivalLog.next } }

    /// Ids of documents appended at arrival sequence `from` or later, in the order they became
    /// searchable: what a live tail shows next.
    public func arrivals(since from: UInt64, limit: Int) -> Arrivals {
        stateLock.withLock { arrivalLog.since(from, limit: limit) }
    }

    /// Appends documents; returns their ids once the batch is in the WAL and fsynced.
    @discardableResult
    public func append(_ batch: [NewDocument], mode: WriteMode = .insert) throws -> [UInt64] {
        guard !batch.isEmpty else { return [] }
        let excluded = columns.excludedKeys
        let now = Int64(Date().timeIntervalSince1970 * 1e6)
        // Each document's js (excluded keys removed) and time; the document itself is read from
        // `batch` by position rather than copied here (a copy retains and releases its strings).
        var prepared: [(js: String, us: Int64)] = []
        prepared.reserveCapacity(batch.count)
        for d in batch {
            var text = d.js
            guard text.utf8.first == UInt8(ascii: "{"), text.utf8.last == UInt8(ascii: "}") else {
                throw AlcoError.invalidDocument("js must be a JSON object")
            }
            if !excluded.isEmpty { text = try LogIndex.removing(excluded, from: text) }
            let us = d.id.map { DocumentID.microseconds(of: $0) } ?? d.microseconds ?? now
            if d.id == nil && !DocumentID.canHold(microseconds: us) {
                throw AlcoError.invalidDocument(
                    "time \(us) µs since the epoch is outside what an id holds (1970-01-01 to 2554-07-21)")
            }
            prepared.append((text, us))
        }
        stateLock.lock()
        var docs: [Document] = []
        docs.reserveCapacity(prepared.count)
        let lsn: UInt64
        do {
            defer { stateLock.unlock() }
            guard !isClosed else { throw AlcoError.closed }
            var inBatch = Set<UInt64>()
            for (k, p) in prepared.enumerated() {
                let id: UInt64
                if let given = batch[k].id {
                    id = given
                    if mode == .insert && (inBatch.contains(id) || containsLocked(id)) {
                        throw AlcoError.duplicateID(id, index: name)
                    }
                } else {
                    guard let next = ids.next(microseconds: p.us, hint: batch[k].sequenceHint, exists: { inBatch.contains($0) || self.containsLocked($0) })
                    else { throw AlcoError.invalidDocument("no free id is left at time \(p.us) µs") }
                    id = next
                }
                inBatch.insert(id)
                docs.append(Document(id: id, logline: batch[k].logline, js: p.js))
            }
            let record: WALRecord = mode == .insert ? .insert(docs) : .replace(docs)
            lsn = wal.enqueue(record)
            apply(record, lsn: lsn, replaying: false)
            appliedLSN = lsn
            arrivalLog.record(docs.lazy.map(\.id))
        }
        do {
            try wal.waitDurable(lsn)
        } catch {
            // Not in the log (a full disk), so not acknowledged: take the batch back out of
            // memory, or a seal would store what the writer was told failed and its retry would
            // duplicate it. (Documents a REPLACE displaced stay gone until the next open.)
            stateLock.withLock {
                for d in docs { _ = deleteLocked(d.id) }
            }
            throw error
        }
        let (docsBuffered, bytesBuffered) = stateLock.withLock { (bufferedDocs, partitions.values.reduce(0) { $0 + $1.bufferBytes }) }
        if docsBuffered > options.maxBufferedDocs || bytesBuffered > options.maxBufferedBytes { try seal() }
        return docs.map(\.id)
    }

    /// The js text without the excluded top-level keys (ALCO's `excluded` columns).
    static func removing(_ excluded: Set<String>, from text: String) throws -> String {
        var text = text
        return try text.withUTF8 { buf -> String in
            let raw = UnsafeRawBufferPointer(buf)
            let members = try JSONScanner.topLevelMembers(raw)
            guard members.contains(where: { excluded.contains($0.key) }) else { return String(decoding: raw, as: UTF8.self) }
            var out: [UInt8] = [UInt8(ascii: "{")]
            for m in members where !excluded.contains(m.key) {
                if out.count > 1 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(m.key, to: &out)
                out.append(UInt8(ascii: ":"))
                out.append(contentsOf: raw[m.value])
            }
            out.append(UInt8(ascii: "}"))
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Deletes documents by id; returns how many existed.
    @discardableResult
    public func delete(ids: [UInt64]) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        stateLock.lock()
        let lsn: UInt64
        let existing: [UInt64]
        do {
            defer { stateLock.unlock() }
            guard !isClosed else { throw AlcoError.closed }
            existing = Array(Set(ids)).filter { containsLocked($0) }
            if existing.isEmpty { return 0 }
            lsn = wal.enqueue(.delete(existing))
            apply(.delete(existing), lsn: lsn, replaying: false)
            appliedLSN = lsn
        }
        try wal.waitDurable(lsn)
        return existing.count
    }

    /// Deletes every document a query matches; returns how many.
    @discardableResult
    public func delete(matching request: SearchRequest) throws -> Int {
        let snap = try snapshot(request.partitions)
        let ids = try Searcher.matchingIDs(request, segments: snap)
        return try delete(ids: ids)
    }

    /// Removes every document (TRUNCATE RTINDEX).
    public func truncate() throws {
        maintenanceLock.lock()
        defer { maintenanceLock.unlock() }
        stateLock.lock()
        let lsn: UInt64
        do {
            defer { stateLock.unlock() }
            lsn = wal.enqueue(.truncate)
            apply(.truncate, lsn: lsn, replaying: false)
            appliedLSN = lsn
        }
        try wal.waitDurable(lsn)
        try writeManifest()
    }

    /// Applies a logged change to memory. Caller holds stateLock (or is replaying at open).
    func apply(_ record: WALRecord, lsn: UInt64, replaying: Bool) {
        switch record {
        case .insert(let docs), .replace(let docs):
            let replace: Bool = { if case .replace = record { return true } else { return replaying } }()
            for d in docs {
                if replace { _ = deleteLocked(d.id) }
                let p = partition(calendar.day(ofMicroseconds: d.microseconds))
                if p.buffer.updateValue(d, forKey: d.id) == nil { bufferedDocs += 1 }
                p.bufferBytes += d.bufferCost
                if p.bufferMinLSN == nil { p.bufferMinLSN = lsn }
                ids.observe(d.id)
            }
            let now = DispatchTimeLike.now()
            if oldestBufferedAt == nil { oldestBufferedAt = now }
            if !replaying { lastAppendAt = now }
        case .delete(let ids):
            for id in ids { _ = deleteLocked(id) }
        case .truncate:
            for p in partitions.values { retired += p.segments.filter(\.isPersisted).map(\.name) }
            partitions = [:]
            bufferedDocs = 0
            if !sealing.isEmpty { truncatedWhileSealing = true }
            oldestBufferedAt = nil
        }
    }

    /// Where a live document is. Caller holds stateLock.
    enum Location {
        case sealing
        case buffer(Partition)
        case segment(Partition, index: Int, ordinal: UInt32)
    }

    func locateLocked(_ id: UInt64) -> Location? {
        if isSealing(id) && !deletedWhileSealing.contains(id) { return .sealing }
        guard let p = partitions[calendar.day(ofMicroseconds: DocumentID.microseconds(of: id))] else { return nil }
        if p.buffer[id] != nil { return .buffer(p) }
        for (k, s) in p.segments.enumerated() where id >= s.reader.minID && id <= s.reader.maxID {
            if let o = s.reader.ordinal(of: id), !s.deleted.contains(o) { return .segment(p, index: k, ordinal: o) }
        }
        return nil
    }

    func containsLocked(_ id: UInt64) -> Bool { locateLocked(id) != nil }

    /// Whether a seal in progress holds `id`. Caller holds stateLock.
    func isSealing(_ id: UInt64) -> Bool {
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

    func deleteLocked(_ id: UInt64) -> Bool {
        switch locateLocked(id) {
        case nil:
            return false
        case .sealing:
            deletedWhileSealing.insert(id)
        case .buffer(let p):
            let old = p.buffer.removeValue(forKey: id)!
            bufferedDocs -= 1
            p.bufferBytes -= old.bufferCost
        case .segment(let p, let k, let o):
            p.segments[k].deleted.insert(o)
        }
        return true
    }

    /// True when a document with this id exists.
    public func contains(_ id: UInt64) -> Bool { stateLock.withLock { containsLocked(id) } }

    // MARK: reads

    /// The segments a search reads, after sealing whatever is buffered. Documents a seal on
    /// another thread is building have left the buffer but are in no segment yet, so that seal
    /// is waited for (`seal()` takes the seal lock) rather than missed.
    public func snapshot(_ selection: PartitionSelection = .all) throws -> [SegmentSnapshot] {
        let unsealed = stateLock.withLock { !sealing.isEmpty || partitions.values.contains { !$0.buffer.isEmpty } }
        if unsealed { try seal() }
        return stateLock.withLock {
            partitions.values.filter { selection.contains(day: $0.day) }.flatMap { p in p.segments.map { SegmentSnapshot(reader: $0.reader, deleted: $0.deleted) } }
        }
    }

    /// Fields a MATCH() may name: `logline`, `js` and js columns flagged `indexed`.
    public var fullTextFields: [String] { SegmentFormat.Field.names + columns.indexedKeys }

    public func search(_ request: SearchRequest) throws -> SearchResult {
        try searchKeepingSnapshot(request).result
    }

    /// A search and the snapshot it ran on, for follow-up work (a deferred count) that must
    /// see the same documents.
    public func searchKeepingSnapshot(_ request: SearchRequest) throws -> (result: SearchResult, snapshot: [SegmentSnapshot]) {
        try checkFields(request.text)
        var request = request
        if request.timeLimitMilliseconds == nil { request.timeLimitMilliseconds = options.defaultQueryTimeMilliseconds }
        let snap = try snapshot(request.partitions)
        return (try Searcher.search(request, segments: snap), snap)
    }

    func checkFields(_ q: TextQuery) throws {
        let known = Set(fullTextFields)
        func check(_ limit: FieldLimit) throws {
            switch limit {
            case .all: return
            case .only(let names), .except(let names):
                if let bad = names.first(where: { !known.contains($0) }) {
                    throw AlcoError.query(message: "no field '\(bad)' found in schema", position: 0)
                }
            }
        }
        switch q {
        case .term(_, let f, _), .phrase(_, let f, _), .quorum(_, let f, _): try check(f)
        case .and(let qs), .or(let qs): for x in qs { try checkFields(x) }
        case .not(let x): try checkFields(x)
        case .substring, .regex, .all: return
        }
    }

    /// Documents by id (any that exist).
    public func documents(ids wanted: [UInt64]) throws -> [Document] {
        let snap = try snapshot()
        var out: [Document] = []
        let cache = DocStoreCache()
        for id in wanted {
            for s in snap where id >= s.reader.minID && id <= s.reader.maxID {
                if let o = s.reader.ordinal(of: id), !s.deleted.contains(o) {
                    out.append(try s.reader.document(o, cache: cache))
                    break
                }
            }
        }
        return out
    }

    /// Bytes per segment section, summed over the persisted segments.
    public func sectionSizes() -> [String: Int] {
        stateLock.withLock {
            var out: [String: Int] = [:]
            for p in partitions.values {
                for s in p.segments where s.isPersisted {
                    for (k, v) in s.reader.sectionSizes { out[k, default: 0] += v }
                }
            }
            return out
        }
    }

    public func stats() -> IndexStats {
        stateLock.withLock {
            var docs = 0, buffered = 0, mem = 0, disk = 0, bytes = 0, deleted = 0
            var days: [(Int, Int, Int)] = []
            var minID: UInt64?
            var maxID: UInt64?
            // A seal in progress holds documents that have left the buffer but are in no
            // segment yet: they are searchable (a search waits for the seal) and are counted.
            var sealingByDay: [Int: Int] = [:]
            for (day, ids) in sealing where !ids.isEmpty {
                sealingByDay[day, default: 0] += ids.count
                minID = min(minID ?? ids[0], ids[0])
                maxID = max(maxID ?? ids[ids.count - 1], ids[ids.count - 1])
            }
            if !deletedWhileSealing.isEmpty {
                for id in deletedWhileSealing {
                    let day = calendar.day(ofMicroseconds: DocumentID.microseconds(of: id))
                    sealingByDay[day, default: 0] -= 1
                }
            }
            for p in partitions.values.sorted(by: { $0.day < $1.day }) {
                var dayDocs = p.buffer.count + (sealingByDay[p.day] ?? 0)
                buffered += p.buffer.count
                for id in p.buffer.keys {
                    minID = min(minID ?? id, id)
                    maxID = max(maxID ?? id, id)
                }
                for s in p.segments {
                    dayDocs += s.reader.docCount - s.deleted.count
                    deleted += s.deleted.count
                    if s.isPersisted { disk += 1 } else { mem += 1 }
                    bytes += s.isPersisted ? s.reader.storage.bytes.count : 0
                    if s.reader.docCount > s.deleted.count {
                        minID = min(minID ?? s.reader.minID, s.reader.minID)
                        maxID = max(maxID ?? s.reader.maxID, s.reader.maxID)
                    }
                }
                docs += dayDocs
                days.append((p.day, dayDocs, p.segments.count))
            }
            return IndexStats(name: name, documents: docs, bufferedDocuments: buffered, memorySegments: mem,
                              diskSegments: disk, diskBytes: bytes, deletedDocuments: deleted,
                              days: days.map { (day: $0.0, documents: $0.1, segments: $0.2) },
                              walLSN: appliedLSN, checkpointLSN: checkpointLSN, problems: problemsValue,
                              minID: minID, maxID: maxID)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
