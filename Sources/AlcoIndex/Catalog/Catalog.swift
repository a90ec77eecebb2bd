import Dispatch
import Foundation

/// The data directory: the indexes it holds, one owning process (an flock'd `LOCK` with the
/// pid), and the background maintenance that seals, persists, merges and expires them.
public final class Catalog: @unchecked Sendable {
    public let directory: String
    public let options: EngineOptions
    private let dirLock: DirectoryLock
    private let lock = ConditionLock()
    /// Orders settings changes: each reads, changes and writes an index's settings whole.
    private let settingsLock = ConditionLock()
    private var open: [String: LogIndex] = [:]
    private var timer: (any DispatchSourceTimer)?
    private let maintenanceQueue = DispatchQueue(label: "alco.maintenance")
    private let mergeQueue = DispatchQueue(label: "alco.merge")
    private var mergeTimer: (any DispatchSourceTimer)?
    private var lastRetention: UInt64 = 0
    private var closed = false
    /// How long opening took, and the write-ahead log records replayed in it (all indexes).
    public private(set) var opened: (seconds: Double, replayedRecords: Int, replaySeconds: Double) = (0, 0, 0)

    var indexesDirectory: String { directory + "/indexes" }

    /// Opens (creating if needed) a data directory; a second process gets `dataDirectoryInUse`.
    public init(directory: String, options: EngineOptions = EngineOptions()) throws {
        self.directory = directory
        try FileSystem.makeDirectory(directory + "/indexes")
        dirLock = try DirectoryLock(directory: directory)
        var options = options
        options.node = try NodeMarker.resolve(directory: directory, asked: options.node)
        self.options = options
        let start = ContinuousClock.now
        for name in FileSystem.list(indexesDirectory) where FileSystem.isDirectory(indexesDirectory + "/" + name) {
            let dir = indexesDirectory + "/" + name
            // A drop that a crash interrupted.
            if name.hasPrefix(".dropped.") {
                FileSystem.removeTree(dir)
                continue
            }
            guard FileSystem.exists(dir + "/settings.json") else { continue }
            let (settings, problem) = try Catalog.readSettings(dir, name: name)
            let index = try LogIndex(directory: dir, settings: settings, options: options)
            if let problem { index.report(problem) }
            open[settings.name] = index
            opened.replayedRecords += index.replayed.records
            opened.replaySeconds += index.replayed.seconds
        }
        opened.seconds = (ContinuousClock.now - start).seconds
        if options.backgroundMaintenance { startMaintenance() }
    }

    /// An index's settings. A damaged settings.json does not keep the server (and every other
    /// index) from starting: it is moved into the index's quarantine, the index opens with
    /// default settings under its directory's name, they are written anew, and the problem is
    /// returned to be reported.
    static func readSettings(_ dir: String, name: String) throws -> (IndexSettings, problem: String?) {
        let path = dir + "/settings.json"
        do {
            let settings = try JSONDecoder().decode(IndexSettings.self, from: Data(try FileSystem.readAll(path)))
            guard settings.name == name else {
                throw AlcoError.invalidSetting("it names index '\(settings.name)', not '\(name)'")
            }
            return (settings, nil)
        } catch let e as AlcoError where e.isIO && !FileSystem.exists(path) {
            throw e
        } catch {
            let moved = (try? FileSystem.quarantine(path, into: dir + "/quarantine")) ?? path
            let defaults = IndexSettings(name: name)
            try writeSettings(defaults, dir)
            return (
                defaults,
                "\(path) was unreadable (\(error)); it is kept as \(moved), and index '\(name)' runs with "
                    + "default settings until they are set again (alco index alter)"
            )
        }
    }

    static func writeSettings(_ settings: IndexSettings, _ dir: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileSystem.writeAtomically(dir + "/settings.json", Array(try encoder.encode(settings)))
    }

    public var indexes: [LogIndex] { lock.withLock { open.values.sorted { $0.name < $1.name } } }

    public func index(_ name: String) throws -> LogIndex {
        guard let i = lock.withLock({ open[name] }) else { throw AlcoError.unknownIndex(name) }
        return i
    }

    public func indexIfExists(_ name: String) -> LogIndex? { lock.withLock { open[name] } }

    @discardableResult
    public func createIndex(_ settings: IndexSettings) throws -> LogIndex {
        try settings.validate()
        return try lock.withLock {
            guard !closed else { throw AlcoError.closed }
            if open[settings.name] != nil { throw AlcoError.indexExists(settings.name) }
            let dir = indexesDirectory + "/" + settings.name
            try FileSystem.makeDirectory(dir)
            try Catalog.writeSettings(settings, dir)
            try FileSystem.syncDirectory(indexesDirectory)
            let index = try LogIndex(directory: dir, settings: settings, options: options)
            open[settings.name] = index
            return index
        }
    }

    /// Changes an index's settings (the name cannot change).
    @discardableResult
    public func alterIndex(_ name: String, _ change: (inout IndexSettings) throws -> Void) throws -> IndexSettings {
        settingsLock.lock()
        defer { settingsLock.unlock() }
        let index = try self.index(name)
        guard !index.isClosed else { throw AlcoError.unknownIndex(name) }
        var s = index.settings
        try change(&s)
        s.name = name
        try s.validate()
        try Catalog.writeSettings(s, index.directory)
        index.update(settings: s)
        return s
    }

    /// Removes an index and its files. A merge or flush of it that is running stops first
    /// (it gives up at its next step), and nothing of it writes afterwards, so an index created
    /// again under the same name never receives the old one's files.
    public func dropIndex(_ name: String) throws {
        settingsLock.lock()
        defer { settingsLock.unlock() }
        let index: LogIndex = try lock.withLock {
            guard let i = open.removeValue(forKey: name) else { throw AlcoError.unknownIndex(name) }
            return i
        }
        index.beginClosing()
        index.mergeLock.withLock {
            index.maintenanceLock.withLock { index.closeWithoutFlush() }
        }
        // Out of the way under a name no index can have, then removed.
        let trash = indexesDirectory + "/.dropped." + name + "." + String(DispatchTimeLike.now())
        if rename(index.directory, trash) == 0 {
            try FileSystem.syncDirectory(indexesDirectory)
            FileSystem.removeTree(trash)
        } else {
            FileSystem.removeTree(index.directory)
        }
        try FileSystem.syncDirectory(indexesDirectory)
    }

    public var problems: [String] { indexes.flatMap(\.problems) }

    private func startMaintenance() {
        let t = DispatchSource.makeTimerSource(queue: maintenanceQueue)
        let ms = options.maintenanceIntervalMilliseconds
        t.schedule(deadline: .now() + .milliseconds(ms), repeating: .milliseconds(ms))
        t.setEventHandler { [weak self] in self?.maintainAll() }
        t.resume()
        timer = t
        let m = DispatchSource.makeTimerSource(queue: mergeQueue)
        m.schedule(deadline: .now() + .milliseconds(ms * 5), repeating: .milliseconds(ms * 5))
        m.setEventHandler { [weak self] in
            for index in self?.indexes ?? [] { index.maintainMerges() }
        }
        m.resume()
        mergeTimer = m
    }

    /// One round of maintenance over every index (the timer calls it; tests may too).
    public func maintainAll() {
        let now = DispatchTimeLike.now()
        let retentionDue = now - lastRetention > 3_600_000_000_000 || lastRetention == 0
        if retentionDue { lastRetention = now }
        for index in indexes {
            index.maintain()
            if retentionDue { _ = try? index.applyRetention() }
        }
    }

    /// Stops everything without flushing, as a crash would (tests reopen the directory after).
    func abandon() {
        let indexes: [LogIndex] = lock.withLock {
            closed = true
            return Array(open.values)
        }
        timer?.cancel()
        mergeTimer?.cancel()
        maintenanceQueue.sync {}
        mergeQueue.sync {}
        for index in indexes { index.closeWithoutFlush() }
        dirLock.release()
    }

    /// Stops maintenance, flushes every index to segments and releases the directory.
    public func close() throws {
        let indexes: [LogIndex] = lock.withLock {
            closed = true
            return Array(open.values)
        }
        for index in indexes { index.beginClosing() }
        if let timer {
            timer.cancel()
            maintenanceQueue.sync {}
            self.timer = nil
        }
        if let mergeTimer {
            mergeTimer.cancel()
            mergeQueue.sync {}
            self.mergeTimer = nil
        }
        var firstError: (any Error)?
        for index in indexes {
            do { try index.close() } catch { firstError = firstError ?? error }
        }
        dirLock.release()
        if let firstError { throw firstError }
    }
}
