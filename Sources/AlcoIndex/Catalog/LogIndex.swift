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

    /// Its properties are guarded by the index's state lock, as are the index's own below:
    /// that lock is the exclusivity, so the runtime's per-access checks are off for them.
    final class Partition {
        let day: Int
        @exclusivity(unchecked) var buffer: [UInt64: Document] = [:]
        @exclusivity(unchecked) var bufferBytes = 0
        /// LSN of the oldest record whose documents may still be in `buffer`.
        @exclusivity(unchecked) var bufferMinLSN: UInt64?
        @exclusivity(unchecked) var segments: [LiveSegment] = []
        init(day: Int) { self.day = day }
    }

    // Lock order: maintenanceLock, sealLock, stateLock, the WAL's own lock.
    let maintenanceLock = ConditionLock()
    let mergeLock = ConditionLock()
    let sealLock = ConditionLock()
    let stateLock = ConditionLock()

    // Guarded by stateLock.
    @exclusivity(unchecked) var settingsValue: IndexSettings
    @exclusivity(unchecked) var partitions: [Int: Partition] = [:]
    @exclusivity(unchecked) var calendar: DayCalendar
    @exclusivity(unchecked) var producerCalendarZone: TimeZone
    @exclusivity(unchecked) var ids = IDGenerator()
    @exclusivity(unchecked) var appliedLSN: UInt64 = 0
    /// Recently appended ids in arrival order, for live tails.
    @exclusivity(unchecked) var arrivalLog = ArrivalLog(capacity: 262_144)
    @exclusivity(unchecked) var checkpointLSN: UInt64 = 0
    @exclusivity(unchecked) var nextSegment = 1
    /// Ids a seal is building into segments (one sorted array per day partition).
    @exclusivity(unchecked) var sealing: [(day: Int, ids: [UInt64])] = []
    @exclusivity(unchecked) var sealingMinLSN: UInt64?
    @exclusivity(unchecked) var deletedWhileSealing = Set<UInt64>()
    @exclusivity(unchecked) var truncatedWhileSealing = false
    @exclusivity(unchecked) var oldestBufferedAt: UInt64?
    @exclusivity(unchecked) var bufferedDocs = 0
    /// Persisted segments no longer live: their files go once a manifest without them is durable.
    @exclusivity(unchecked) var retired: [String] = []
    @exclusivity(unchecked) var lastPersistAt = DispatchTimeLike.now()
    /// When the last document arrived (monotonic ns), so merges can wait for a pause.
    @exclusivity(unchecked) var lastAppendAt: UInt64 = 0
    @exclusivity(unchecked) var problemsValue: [String] = []
    @exclusivity(unchecked) var isClosed = false
    /// Set when closing: running merges give up (their inputs stay live).
    @exclusivity(unchecked) var isClosing = false

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
        let report = try WriteAheadLog.replay(
            directory: directory + "/wal", after: checkpointLSN,
            quarantine: directory + "/quarantine"
        ) { lsn, record in
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
}

#if canImport(Glibc)
import Glibc
#endif
