import AlcoIndex
import Foundation
import Logging

/// Keeps what could not be stored, with why and where it came from, as JSON lines under
/// `DATA/rejects/` (one file per day), so nothing malformed is ever silently dropped.
///
/// Bounded like an index: files older than `retentionDays` go, and past `maxBytes` the
/// oldest files go first; one reject keeps at most `maxRawBytes` of what was sent (the rest
/// is counted in `raw_bytes`). A new file is fsynced with its directory before `sync()`
/// returns, so an ack that depends on a reject never outlives it.
public final class RejectStore: @unchecked Sendable {
    public let directory: String
    public let retentionDays: Int
    public let maxBytes: Int
    public static let maxRawBytes = 1 << 20
    private let lock = ConditionLock()
    private var counts: [RejectReason: Int] = [:]
    private var file: WritableFile?
    private var fileDay = ""
    private var directoryNeedsSync = false
    /// Bytes of the files on disk (measured at open and at each new file, then counted).
    private var storedBytes = 0
    private var rejectLog = RejectLog()
    private let logger: Logger?

    /// - Parameter logger: where to say what was rejected (once per reason per minute); nil for
    ///   commands that report rejects themselves.
    public init(
        directory: String, retentionDays: Int = 30, maxBytes: Int = 1 << 30,
        logger: Logger? = nil
    ) throws {
        self.directory = directory
        self.retentionDays = max(1, retentionDays)
        self.maxBytes = max(1 << 20, maxBytes)
        self.logger = logger
        try FileSystem.makeDirectory(directory)
        lock.withLock { enforceBounds(today: RejectStore.today()) }
    }

    public var countsByReason: [RejectReason: Int] { lock.withLock { counts } }
    public var total: Int { lock.withLock { counts.values.reduce(0, +) } }

    static func today() -> String {
        String(Timestamps.format(microseconds: Int64(Date().timeIntervalSince1970 * 1e6), zone: TimeZone(identifier: "UTC")!).prefix(10))
    }

    /// Records one rejected message. `raw` is kept as text when it is UTF-8, else base64.
    public func record(_ rejection: Rejection, raw: UnsafeRawBufferPointer, source: String, line: Int?, index: String?) throws {
        var members: [(key: String, value: JSONValue)] = [
            ("time", .string(Timestamps.iso(microseconds: Int64(Date().timeIntervalSince1970 * 1e6), zone: TimeZone(identifier: "UTC")!))),
            ("source", .string(source)),
        ]
        if let line { members.append(("line", .number(text: String(line)))) }
        if let index { members.append(("index", .string(index))) }
        members.append(("reason", .string(rejection.reason.rawValue)))
        members.append(("detail", .string(rejection.detail)))
        var kept = raw
        if raw.count > RejectStore.maxRawBytes {
            // Cut on a UTF-8 character boundary when it is text.
            var end = RejectStore.maxRawBytes
            while end > 0 && raw[end] & 0xC0 == 0x80 { end -= 1 }
            kept = UnsafeRawBufferPointer(rebasing: raw[0..<end])
            members.append(("raw_bytes", .number(text: String(raw.count))))
        }
        if let text = String(validating: kept, as: UTF8.self) {
            members.append(("raw", .string(text)))
        } else {
            members.append(("raw_base64", .string(Data(kept).base64EncodedString())))
        }
        var bytes: [UInt8] = []
        JSONValue.object(members).write(to: &bytes)
        bytes.append(0x0a)
        let logLine = try lock.withLock { () -> String? in
            counts[rejection.reason, default: 0] += 1
            let day = RejectStore.today()
            if file == nil || day != fileDay {
                file?.close()
                let path = directory + "/rejects-\(day).jsonl"
                if !FileSystem.exists(path) { directoryNeedsSync = true }
                file = try WritableFile(path: path, append: true)
                fileDay = day
                enforceBounds(today: day)
            }
            if storedBytes + bytes.count > maxBytes { enforceBounds(today: day, making: bytes.count) }
            try file!.write(bytes)
            storedBytes += bytes.count
            guard logger != nil else { return nil }
            return rejectLog.line(for: rejection, source: source, index: index, at: Date().timeIntervalSince1970)
        }
        if let logLine { logger?.warning("\(logLine)") }
    }

    /// Deletes files past the retention, then the oldest until `making` more bytes fit under
    /// `maxBytes` (today's file, being written, goes last). Caller holds the lock.
    private func enforceBounds(today: String, making extra: Int = 0) {
        let files = FileSystem.list(directory).filter { $0.hasPrefix("rejects-") && $0.hasSuffix(".jsonl") }.sorted()
        let cutoff = Date(timeIntervalSinceNow: -Double(retentionDays) * 86400)
        let oldestKept = String(Timestamps.format(microseconds: Int64(cutoff.timeIntervalSince1970 * 1e6), zone: TimeZone(identifier: "UTC")!).prefix(10))
        var sizes: [(name: String, bytes: Int)] = []
        for name in files {
            let day = String(name.dropFirst("rejects-".count).prefix(10))
            if day < oldestKept && day != today {
                FileSystem.remove(directory + "/" + name)
                directoryNeedsSync = true
            } else {
                sizes.append((name, FileSystem.fileSize(directory + "/" + name)))
            }
        }
        storedBytes = sizes.reduce(0) { $0 + $1.bytes }
        for (name, bytes) in sizes where storedBytes + extra > maxBytes && name != "rejects-\(today).jsonl" {
            FileSystem.remove(directory + "/" + name)
            storedBytes -= bytes
            directoryNeedsSync = true
            logger?.warning("the rejects store is over \(maxBytes) bytes: removed \(name)")
        }
    }

    /// Makes recorded rejects durable (before the messages that caused them are acked): the
    /// file, and the directory entry of a new file.
    public func sync() throws {
        try lock.withLock {
            try file?.sync()
            if directoryNeedsSync {
                try FileSystem.syncDirectory(directory)
                directoryNeedsSync = false
            }
        }
    }

    public func close() {
        lock.withLock {
            file?.close()
            file = nil
        }
    }
}
