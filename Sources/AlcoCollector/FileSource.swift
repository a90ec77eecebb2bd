import AlcoIndex
import AlcoIngest
import CoreMetrics
import Foundation
import Logging

/// What a file source follows and how.
public struct FileWatch: Sendable, Equatable {
    /// A glob (`*`, `?`, `[...]`, `{a,b}`) naming the files; new matches are picked up.
    public var pattern: String
    public var index: String
    /// `auto`, `json`, `text` or a format's name (see `alco ingest --list-formats`).
    public var format: String
    /// `auto`, `none` or a regex for a record's first line.
    public var multiline: String
    /// After this long without new bytes, a last line without its newline is taken as it is
    /// and the open multiline record is complete.
    public var idleMilliseconds: Int

    public init(pattern: String, index: String, format: String = "auto", multiline: String = "auto", idleMilliseconds: Int = 1000) {
        self.pattern = pattern
        self.index = index
        self.format = format
        self.multiline = multiline
        self.idleMilliseconds = idleMilliseconds
    }

    /// `GLOB=INDEX`, as `--watch` takes it (the last `=` splits: globs may hold one).
    public init(spec: String) throws {
        guard let eq = spec.lastIndex(of: "="), eq != spec.startIndex, spec.index(after: eq) != spec.endIndex else {
            throw AlcoError.invalidSetting("a watch is GLOB=INDEX (e.g. '/var/log/app/*.log=app'), not '\(spec)'")
        }
        self.init(pattern: String(spec[..<eq]), index: String(spec[spec.index(after: eq)...]))
    }

    /// The key of the source mark that holds the files' positions in the index.
    var markKey: String { "watch:" + pattern }
}

/// The saved positions of a watch's files (its source mark's value).
struct WatchPositions: Codable {
    var files: [FilePosition]
}

/// Follows the files a glob names, as `tail -F` does, into one index: appended lines, new
/// files, rotation by rename (the old file is read to its end first) and by copytruncate.
/// Each batch is stored together with every file's position in one durable write (a source
/// mark in the same WAL record), so after a crash it resumes exactly where what was stored
/// ends: nothing lost, nothing stored twice.
public final class FileSource: @unchecked Sendable {
    public let watch: FileWatch
    public let index: LogIndex
    let rejects: RejectStore
    let metrics: CollectorMetrics
    /// Each stored batch, as `alco_ingest_batch_duration_seconds{source="file"}`.
    let batchDuration: CoreMetrics.Timer
    let logger: Logger
    private let lineFormat: LineFormat
    private let multilineRule: MultilineRule
    private let loop = BackgroundLoop()

    // The loop thread's own state.
    private var followers: [FileFollower] = []
    /// A batch whose store failed: stored again (with its mark) before anything more is read.
    private var unstored: (docs: [NewDocument], mark: SourceMark)?
    private var lastMark: String?
    private var lastScan: UInt64 = 0
    private var warnedTooMany = false

    /// Files followed at most (a glob over a huge directory must not exhaust descriptors).
    public static let maxFiles = 1024
    /// Decoded lines stored in one batch at most.
    static let batchDocuments = 8192
    static let pollSeconds = 0.2
    static let scanNanoseconds: UInt64 = 1_000_000_000

    public init(watch: FileWatch, index: LogIndex, rejects: RejectStore, metrics: CollectorMetrics, logger: Logger) throws {
        guard let format = LineFormat(name: watch.format) else {
            throw AlcoError.invalidSetting("watch \(watch.pattern): no format '\(watch.format)' (see `alco ingest --list-formats`)")
        }
        self.watch = watch
        self.index = index
        self.rejects = rejects
        self.metrics = metrics
        self.logger = logger
        batchDuration = IngestMetrics.batchDuration(index: index.name, source: "file")
        lineFormat = format
        multilineRule = try MultilineRule(watch.multiline)
    }

    public func start() { loop.start(name: "alco.watch") { [self] in run() } }

    public func stop() { loop.stop() }

    private var idle: UInt64 { UInt64(max(0, watch.idleMilliseconds)) * 1_000_000 }

    private func run() {
        restore()
        var lastError = ""
        while !loop.isStopping {
            do {
                let read = try round()
                if lastError != "" {
                    logger.info("watch \(watch.pattern) → \(index.name): storing again")
                    lastError = ""
                }
                if read == 0 { loop.pause(FileSource.pollSeconds) }
            } catch {
                metrics.update { $0.lastError = "\(error)" }
                if "\(error)" != lastError {
                    logger.warning("watch \(watch.pattern) → \(index.name): \(error); retrying")
                    lastError = "\(error)"
                }
                loop.pause(1)
            }
        }
        // What was read and decoded is stored before stopping; an open record or a line
        // without its newline is read again at the next start.
        do { try store() } catch { logger.warning("watch \(watch.pattern): the last batch was not stored: \(error) (it is read again at the next start)") }
    }

    private func newIngester() -> LineIngester {
        let ingester = LineIngester(index: index, rejects: rejects, format: lineFormat)
        ingester.multiline = multilineRule
        // Records say which file they came from (a facet and a filter across a glob's files).
        ingester.recordsSource = true
        return ingester
    }

    /// Reopens the files of the saved positions where they were left.
    private func restore() {
        guard let text = index.sourceMark(watch.markKey) else { return }
        guard let saved = try? JSONDecoder().decode(WatchPositions.self, from: Data(text.utf8)) else {
            logger.warning("watch \(watch.pattern): its saved positions are unreadable; following its files from their start")
            return
        }
        let matches = FileSource.expand(watch.pattern)
        for position in saved.files {
            // Where the file is now: under a name the glob gives, else renamed away beside
            // its old name (rotated while alco was down: read it to its end).
            let candidates =
                matches.filter { $0.identity == position.identity }.map(\.path)
                + FileSource.sameDirectory(as: position.path, identity: position.identity)
            guard let follower = candidates.lazy.compactMap({ FileFollower(path: $0, ingester: self.newIngester(), resumingAt: position) }).first
            else {
                logger.warning(
                    "watch \(watch.pattern): \(position.path) is gone (or was replaced); lines after its byte \(position.offset) were not read")
                continue
            }
            follower.isRotated = !matches.contains { $0.path == follower.path }
            followers.append(follower)
        }
        logger.info("watch \(watch.pattern) → \(index.name): resuming \(followers.count) file(s) where they were stored")
    }

    /// One pass: new files, what each file appended, idle completion, a store. Returns the bytes read.
    private func round() throws -> Int {
        if let u = unstored {
            try index.append(u.docs, mark: u.mark)
            lastMark = u.mark.value
            unstored = nil
        }
        let now = DispatchTime.now().uptimeNanoseconds
        if now &- lastScan >= FileSource.scanNanoseconds {
            scan()
            lastScan = now
        }
        var read = 0
        for follower in followers {
            while true {
                let n = try follower.readAppended(budget: 4 << 20)
                read += n
                if pendingDocuments >= FileSource.batchDocuments { try store() }
                if n == 0 { break }
            }
            try follower.completeIfIdle(idleNanoseconds: idle)
        }
        let finished = followers.filter { $0.isFinished(idleNanoseconds: idle) }
        if !finished.isEmpty {
            // Their last records are stored before they are forgotten.
            try store()
            for f in finished { logger.info("watch \(watch.pattern): \(f.path) was rotated away and is read to its end") }
            followers.removeAll { f in finished.contains { $0 === f } }
        }
        try store()
        metrics.update { $0.connected = true }
        return read
    }

    private var pendingDocuments: Int { followers.reduce(0) { $0 + $1.ingester.batchCount } }

    /// Stores every decoded line with every file's position, when either changed.
    private func store() throws {
        if unstored != nil { return }
        let positions = WatchPositions(files: followers.map(\.position))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(positions), as: UTF8.self)
        var docs: [NewDocument] = []
        for f in followers where f.ingester.batchCount > 0 { docs += try f.ingester.takeBatch() }
        guard !docs.isEmpty || text != lastMark else { return }
        let mark = SourceMark(key: watch.markKey, value: text)
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            try index.append(docs, mark: mark)
        } catch {
            unstored = (docs, mark)
            throw error
        }
        lastMark = text
        batchDuration.recordNanoseconds(since: started)
        metrics.update { m in
            m.received += docs.count
            m.stored += docs.count
            m.batches += 1
            m.lastError = nil
        }
    }

    /// Picks up files the glob names that are not followed yet, and notices followed files
    /// renamed within the glob (followed on) or away from it (read to the end, then closed).
    private func scan() {
        let matches = FileSource.expand(watch.pattern)
        var byIdentity: [FileIdentity: String] = [:]
        for m in matches where byIdentity[m.identity] == nil { byIdentity[m.identity] = m.path }
        for f in followers {
            if let path = byIdentity[f.identity] {
                if path != f.path || f.isRotated { f.renamed(to: path) }
            } else if !f.isRotated {
                f.isRotated = true
            }
        }
        let followed = Set(followers.map(\.identity))
        for m in matches where !followed.contains(m.identity) {
            // A rotated file still being read keeps its old name's new file waiting: lines stay in order.
            if followers.contains(where: { $0.isRotated && $0.path == m.path }) { continue }
            guard followers.count < FileSource.maxFiles else {
                if !warnedTooMany {
                    logger.warning("watch \(watch.pattern): more than \(FileSource.maxFiles) files match; the rest are not followed")
                    warnedTooMany = true
                }
                break
            }
            if FileFollower.isCompressed(path: m.path) { continue }
            guard let follower = FileFollower(path: m.path, ingester: newIngester()) else { continue }
            followers.append(follower)
            logger.info("watch \(watch.pattern) → \(index.name): following \(m.path)")
        }
        metrics.update { $0.queueDepth = followers.count }
    }

    /// Regular files the glob names, with their identities, in name order.
    static func expand(_ pattern: String) -> [(path: String, identity: FileIdentity)] {
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(pattern, GLOB_BRACE | GLOB_TILDE, nil, &g) == 0 else { return [] }
        var out: [(String, FileIdentity)] = []
        for i in 0..<Int(g.gl_pathc) {
            guard let p = g.gl_pathv[i] else { continue }
            let path = String(cString: p)
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            out.append((path, FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))))
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// Files beside `path` (in its directory) that are the file `identity` names.
    static func sameDirectory(as path: String, identity: FileIdentity) -> [String] {
        let directory = (path as NSString).deletingLastPathComponent
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory) else { return [] }
        return names.map { (directory as NSString).appendingPathComponent($0) }.filter { candidate in
            var st = stat()
            return stat(candidate, &st) == 0 && FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)) == identity
        }
    }
}
