import Dispatch
import Foundation

/// The data directory: the indexes it holds, one owning process (an flock'd `LOCK` with the
/// pid), and the background maintenance that seals, persists, merges and expires them.
public final class Catalog: @unchecked Sendable {
    public let directory: String
    public let options: EngineOptions
    private let dirLock: DirectoryLock
    private let lock = ConditionLock()
    private var open: [String: LogIndex] = [:]
    private var timer: (any DispatchSourceTimer)?
    private let maintenanceQueue = DispatchQueue(label: "alco.maintenance")
    private let mergeQueue = DispatchQueue(label: "alco.merge")
    private var mergeTimer: (any DispatchSourceTimer)?
    private var lastRetention: UInt64 = 0
    private var closed = false

    var indexesDirectory: String { directory + "/indexes" }

    /// Opens (creating if needed) a data directory; a second process gets `dataDirectoryInUse`.
    public init(directory: String, options: EngineOptions = EngineOptions()) throws {
        self.directory = directory
        self.options = options
        try FileSystem.makeDirectory(directory + "/indexes")
        dirLock = try DirectoryLock(directory: directory)
        for name in FileSystem.list(indexesDirectory) where FileSystem.isDirectory(indexesDirectory + "/" + name) {
            let dir = indexesDirectory + "/" + name
            guard FileSystem.exists(dir + "/settings.json") else { continue }
            let settings = try Catalog.readSettings(dir)
            open[settings.name] = try LogIndex(directory: dir, settings: settings, options: options)
        }
        if options.backgroundMaintenance { startMaintenance() }
    }

    static func readSettings(_ dir: String) throws -> IndexSettings {
        let bytes = try FileSystem.readAll(dir + "/settings.json")
        do {
            return try JSONDecoder().decode(IndexSettings.self, from: Data(bytes))
        } catch {
            throw AlcoError.invalidSetting("\(dir)/settings.json is unreadable: \(error)")
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
        let index = try self.index(name)
        var s = index.settings
        try change(&s)
        s.name = name
        try s.validate()
        try Catalog.writeSettings(s, index.directory)
        index.update(settings: s)
        return s
    }

    public func dropIndex(_ name: String) throws {
        let index: LogIndex = try lock.withLock {
            guard let i = open.removeValue(forKey: name) else { throw AlcoError.unknownIndex(name) }
            return i
        }
        index.maintenanceLock.withLock {
            index.stateLock.withLock { index.isClosed = true }
            index.wal.close()
        }
        FileSystem.removeTree(index.directory)
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
        for index in indexes {
            index.stateLock.withLock { index.isClosed = true }
            index.wal.close()
        }
        dirLock.release()
    }

    /// Stops maintenance, flushes every index to segments and releases the directory.
    public func close() throws {
        let indexes: [LogIndex] = lock.withLock {
            closed = true
            return Array(open.values)
        }
        for index in indexes { index.stateLock.withLock { index.isClosing = true } }
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
