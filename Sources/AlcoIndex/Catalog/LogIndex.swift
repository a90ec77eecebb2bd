import Foundation
import Synchronization

/// One named log stream: day partitions of segments, a realtime buffer, a write-ahead log and
/// the column registry.
///
/// Its parts: `IndexState` (the buffer, the segment set and the counters, one value behind one
/// lock), the write path (`+Writes`), sealing (`+Seal`), reads (`+Reads`), the persister
/// (`+Persist`: segment files, manifest, checkpoint, retention), merging (`+Merge`, planned by
/// `MergePolicy`) and the background round (`+Maintenance`).
///
/// Writes are applied in memory and queued to the WAL under the state lock (so LSN order is
/// apply order), then wait for the group fsync. Searches seal the buffer into an immutable
/// segment and work on a snapshot of the segment set, so they never see a half-applied batch.
public final class LogIndex: Sendable {
    public let name: String
    public let directory: String
    public let columns: ColumnRegistry
    let options: EngineOptions
    let wal: WriteAheadLog
    let metrics: IndexMetrics

    // Lock order: maintenanceLock, sealLock, state, the WAL's own lock. The first three are
    // held across I/O; `state` only for short sections that never wait.
    let maintenanceLock = ConditionLock()
    let mergeLock = ConditionLock()
    let sealLock = ConditionLock()
    let state: Mutex<IndexState>
    /// What opening read from the write-ahead log: records replayed and how long that took.
    public let replayed: (records: Int, seconds: Double)

    var segmentsDirectory: String { directory + "/segments" }
    var manifestPath: String { directory + "/manifest.json" }
    var patternsPath: String { directory + "/patterns.json" }

    init(directory: String, settings: IndexSettings, options: EngineOptions) throws {
        self.name = settings.name
        self.directory = directory
        self.options = options
        metrics = IndexMetrics(index: settings.name)
        let segmentsDirectory = directory + "/segments"
        try FileSystem.makeDirectory(segmentsDirectory)
        FileSystem.removeTemporaryFiles(in: directory)
        columns = ColumnRegistry(path: directory + "/columns.json", quarantine: directory + "/quarantine")
        var s = IndexState(settings: settings)
        s.ids = IDGenerator(node: options.node)
        if let p = columns.loadProblem { s.problems.append(p) }
        let manifest = try Manifest.read(directory + "/manifest.json")
        s.checkpointLSN = manifest.checkpointLSN
        s.nextSegment = manifest.nextSegment
        for (key, value) in manifest.sourceMarks ?? [:] { s.marks.record(SourceMark(key: key, value: value), lsn: manifest.checkpointLSN) }
        // What opening reads of every segment is asked for before any is read: on a cold page
        // cache the reads then overlap instead of waiting one after another.
        let files = manifest.segments.map { entry in
            Result { try MappedFile(path: segmentsDirectory + "/" + entry.name + ".seg") }
        }
        for case .success(let mapped) in files { SegmentReader.prefetchTableOfContents(mapped) }
        for case .success(let mapped) in files { SegmentReader.prefetchOpeningReads(mapped) }
        for (entry, file) in zip(manifest.segments, files) {
            do {
                let mapped = try file.get()
                let reader = try SegmentReader(name: entry.name, storage: SegmentStorage(mapped: mapped))
                var deleted = DeletionSet(docCount: reader.docCount)
                if entry.deletions > 0 {
                    deleted = try DeletionFile.read(segmentsDirectory + "/" + entry.name + ".del", docCount: reader.docCount)
                }
                s.segments.add(
                    LiveSegment(name: entry.name, day: entry.day, reader: reader, deleted: deleted, isPersisted: true, persistedDeletions: deleted.count))
                if reader.docCount > 0 { s.ids.observe(reader.maxID) }
            } catch {
                s.problems.append("segment \(entry.name) of index \(settings.name) was not loaded: \(error)")
                LogIndex.quarantine(entry.name, from: directory)
            }
        }
        // Files the manifest does not name are leftovers of an interrupted flush or merge.
        let named = Set(manifest.segments.map(\.name))
        for file in FileSystem.list(segmentsDirectory) {
            let base = file.hasSuffix(".seg") || file.hasSuffix(".del") ? String(file.dropLast(4)) : file
            if !named.contains(base) { FileSystem.remove(segmentsDirectory + "/" + file) }
        }
        do {
            if let (miner, _) = try PatternFile.read(directory + "/patterns.json") { s.patterns = miner }
        } catch {
            // Patterns are a view of the lines, not the lines: start them again rather than refuse the index.
            s.problems.append("\(error); patterns start again (old ids no longer resolve)")
            try? FileManager.default.moveItem(atPath: directory + "/patterns.json", toPath: directory + "/patterns.json.unreadable")
        }
        s.appliedLSN = s.checkpointLSN
        let replayStart = ContinuousClock.now
        let report = try WriteAheadLog.replay(
            directory: directory + "/wal", after: s.checkpointLSN,
            quarantine: directory + "/quarantine"
        ) { lsn, record in
            s.apply(record, lsn: lsn, replaying: true)
            s.appliedLSN = lsn
        }
        s.problems.append(contentsOf: report.warnings)
        replayed = (report.records, (ContinuousClock.now - replayStart).seconds)
        wal = try WriteAheadLog(directory: directory + "/wal", lastLSN: report.lastLSN, syncEnabled: options.syncWrites, syncTimer: metrics.walSync)
        state = Mutex(s)
    }

    /// Moves an unreadable segment aside so it is never served and never deleted unseen.
    static func quarantine(_ segment: String, from directory: String) {
        let dir = directory + "/quarantine"
        try? FileSystem.makeDirectory(dir)
        for ext in [".seg", ".del"] {
            let from = directory + "/segments/" + segment + ext
            if FileSystem.exists(from) { rename(from, dir + "/" + segment + ext) }
        }
    }

    public var settings: IndexSettings { state.withLock { $0.settings } }
    public var problems: [String] { state.withLock { $0.problems } }

    /// Adds a problem to what `problems` reports (and `alco serve` logs at start).
    func report(_ problem: String) { state.withLock { $0.report(problem) } }

    func update(settings: IndexSettings) {
        state.withLock { s in
            s.settings = settings
            s.calendar = DayCalendar(timeZone: TimeZone(identifier: settings.timeZone) ?? s.calendar.timeZone)
            s.producerZone = TimeZone(identifier: settings.producerTimeZone) ?? s.producerZone
        }
    }

    /// The zone producers' `@timestamp`s are in.
    public var producerTimeZone: TimeZone { state.withLock { $0.producerZone } }
    /// The zone of the index's day boundaries, in which its times are shown.
    public var timeZone: TimeZone { state.withLock { $0.calendar.timeZone } }

    /// The day partition (`YYYYMMDD`) of a time, in the index's zone.
    public func day(ofMicroseconds us: Int64) -> Int { state.withLock { $0.calendar.day(ofMicroseconds: us) } }

    /// First µs of a day in the index's zone.
    public func startOfDay(_ day: Int) -> Int64? { state.withLock { $0.calendar.startMicroseconds(ofDay: day) } }

    /// Today's day partition and tomorrow's, in the index's zone.
    public func currentDays(nowMicroseconds: Int64 = Int64(Date().timeIntervalSince1970 * 1e6)) -> (today: Int, tomorrow: Int) {
        state.withLock { s in
            let today = s.calendar.day(ofMicroseconds: nowMicroseconds)
            return (today, s.calendar.day(offsetDays: 1, from: today) ?? today)
        }
    }

    /// Days with documents (buffered or in segments), ascending.
    public var heldDays: [Int] {
        state.withLock { s in s.buffer.dayNumbers.union(s.segments.dayNumbers).sorted() }
    }

    var isClosed: Bool { state.withLock { $0.isClosed } }

    /// Running merges give up at their next step (their inputs stay live).
    func beginClosing() { state.withLock { $0.isClosing = true } }

    /// Stops accepting writes without flushing (a drop, or a simulated crash).
    func closeWithoutFlush() {
        state.withLock { $0.isClosed = true }
        wal.close()
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension Duration {
    /// The duration in seconds, for reports and logs.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
