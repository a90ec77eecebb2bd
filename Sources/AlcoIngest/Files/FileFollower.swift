import AlcoIndex
import Foundation

/// Which file a followed file is, across renames and restarts: its device and inode, and a
/// hash of its first bytes that tells it from a later file given the same inode, or from
/// itself truncated and written again.
public struct FileIdentity: Equatable, Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    init(_ st: stat) {
        self.init(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }
}

/// FNV-1a over a file's first bytes (at most `FileFingerprint.span`).
public struct FileFingerprint: Equatable, Sendable {
    public var length: Int
    public var hash: UInt64

    /// Bytes hashed once a file has them: enough to differ between files that begin with a
    /// timestamp, few enough to read on every check.
    public static let span = 1024

    /// The fingerprint of the first `length` bytes of `fd` (fewer when it is shorter).
    public static func of(fd: Int32, length: Int = span) -> FileFingerprint? {
        var bytes = [UInt8](repeating: 0, count: max(0, min(length, span)))
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, $0.count - filled, off_t(filled)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { break }
            filled += n
        }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes[0..<filled] { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return FileFingerprint(length: filled, hash: h)
    }
}

/// Where a followed file has got to: every line before `offset` is stored (or was rejected),
/// and `line` lines precede it. What a file source's mark holds for each of its files.
public struct FilePosition: Codable, Equatable, Sendable {
    public var path: String
    public var device: UInt64
    public var inode: UInt64
    public var fingerprintLength: Int
    /// Hex, since a JSON number does not hold every UInt64.
    public var fingerprint: String
    public var offset: UInt64
    public var line: Int

    enum CodingKeys: String, CodingKey {
        case path, device, inode, fingerprint, offset, line, fingerprintLength = "fingerprint_length"
    }

    public var identity: FileIdentity { FileIdentity(device: device, inode: inode) }

    public var fileFingerprint: FileFingerprint? {
        UInt64(fingerprint, radix: 16).map { FileFingerprint(length: fingerprintLength, hash: $0) }
    }
}

/// Follows one file as `tail -F` does, feeding its lines to its own ingester: reads what was
/// appended since the last call, notices truncation (copytruncate) and the file being renamed
/// away, holds a last line without its newline until it gets one or the file goes idle, and
/// knows the offset before which everything it read is decoded (a text record still open is
/// not: more lines may join it).
public final class FileFollower {
    public private(set) var path: String
    public let identity: FileIdentity
    public let ingester: LineIngester
    private let fd: Int32
    public private(set) var fingerprint: FileFingerprint
    /// Next byte to read.
    public private(set) var readOffset: UInt64
    /// Bytes after the last newline read, from `partialStart` on.
    private var partial: [UInt8] = []
    private var partialStart: UInt64
    /// Lines handed to the ingester.
    private var lineNumber: Int
    /// Where the open text record begins (its first line), and that line's number.
    private var recordStart: (offset: UInt64, line: Int) = (0, 0)
    /// Everything before this offset is decoded (in the ingester's batch, stored or rejected).
    public private(set) var decoded: (offset: UInt64, line: Int)
    /// When bytes last arrived (monotonic ns).
    private var lastGrowth: UInt64
    /// Has read to the end once: later lines are new, and lines without a time take the
    /// time they were read.
    private var caughtUp = false
    /// The path no longer names this file (renamed away, or deleted): read to the end, then close.
    public var isRotated = false
    /// Times the file was found truncated and read again from its start.
    public private(set) var truncations = 0
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)

    /// Opens `path` to follow from `position` (nil: from its first byte). Nil when it is not
    /// a regular file that can be read, or no longer the file `position` describes.
    public init?(path: String, ingester: LineIngester, resumingAt position: FilePosition? = nil) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return nil
        }
        let identity = FileIdentity(st)
        var start: (offset: UInt64, line: Int) = (0, 0)
        if let position {
            guard position.identity == identity, let saved = position.fileFingerprint,
                FileFingerprint.of(fd: fd, length: saved.length) == saved, UInt64(st.st_size) >= position.offset
            else {
                close(fd)
                return nil
            }
            start = (position.offset, position.line)
        }
        self.path = path
        self.fd = fd
        self.identity = identity
        self.ingester = ingester
        fingerprint = FileFingerprint.of(fd: fd) ?? FileFingerprint(length: 0, hash: 0)
        readOffset = start.offset
        partialStart = start.offset
        lineNumber = start.line
        decoded = start
        lastGrowth = FileFollower.now()
        ingester.batchSize = .max
    }

    deinit { close(fd) }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    public var position: FilePosition {
        FilePosition(
            path: path, device: identity.device, inode: identity.inode, fingerprintLength: fingerprint.length,
            fingerprint: String(fingerprint.hash, radix: 16), offset: decoded.offset, line: decoded.line)
    }

    /// The file was found under another name (renamed within what is followed).
    public func renamed(to newPath: String) {
        path = newPath
        isRotated = false
    }

    /// Compressed files are rotated copies of what was followed, not logs being written.
    public static func isCompressed(path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 4)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, 4, 0) }
        return (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) || (n >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
            || (n >= 3 && head[0] == 0x42 && head[1] == 0x5a && head[2] == 0x68)
    }

    /// Reads what was appended, at most about `budget` bytes; returns the bytes read.
    /// A file shorter than what was read, or whose first bytes changed, was truncated (or
    /// replaced in place): it is read again from its start.
    public func readAppended(budget: Int) throws -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw AlcoError.io(path: path, operation: "fstat", errno: errno) }
        let size = UInt64(max(0, st.st_size))
        if size < readOffset || (size > readOffset && fingerprintChanged()) {
            try restartAfterTruncation()
        }
        var total = 0
        while total < budget {
            let want = min(buffer.count, budget - total)
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, want, off_t(readOffset)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AlcoError.io(path: path, operation: "read", errno: errno)
            }
            if n == 0 { break }
            if !ingester.hasBegunStream {
                buffer.withUnsafeBytes {
                    ingester.beginStream(
                        path, referenceMicroseconds: LineIngester.referenceTime(fd: fd), sample: UnsafeRawBufferPointer(rebasing: $0[0..<n]))
                }
            }
            if caughtUp { ingester.advanceReference(to: Int64(Date().timeIntervalSince1970 * 1e6)) }
            try consume(count: n)
            readOffset += UInt64(n)
            total += n
        }
        if total > 0 {
            lastGrowth = FileFollower.now()
            if fingerprint.length < FileFingerprint.span, let f = FileFingerprint.of(fd: fd) { fingerprint = f }
        } else {
            caughtUp = true
        }
        return total
    }

    /// True when the bytes the fingerprint covers are no longer the same.
    private func fingerprintChanged() -> Bool {
        guard fingerprint.length > 0, let now = FileFingerprint.of(fd: fd, length: fingerprint.length) else { return false }
        return now != fingerprint
    }

    private func restartAfterTruncation() throws {
        // What was read before the truncation was written: it is kept.
        try completeAll()
        truncations += 1
        readOffset = 0
        partialStart = 0
        lineNumber = 0
        decoded = (0, 0)
        recordStart = (0, 0)
        fingerprint = FileFingerprint.of(fd: fd) ?? FileFingerprint(length: 0, hash: 0)
    }

    /// Splits `buffer[0..<count]` (read at `readOffset`) into lines.
    private func consume(count: Int) throws {
        let maxLine = ingester.maxLineBytes
        try buffer.withUnsafeBytes { raw in
            let base = raw.baseAddress!
            var start = 0
            while start < count, let found = memchr(base + start, 0x0a, count - start) {
                let i = UnsafeRawPointer(found) - base
                let end = readOffset + UInt64(i) + 1
                if partial.isEmpty {
                    try feed(UnsafeRawBufferPointer(rebasing: raw[start..<i]), start: readOffset + UInt64(start), end: end)
                } else {
                    // Kept to one byte past the limit: enough for the ingester to refuse it as too long.
                    partial.append(contentsOf: raw[start..<i].prefix(max(0, maxLine + 1 - partial.count)))
                    try partial.withUnsafeBytes { try feed($0, start: partialStart, end: end) }
                    partial.removeAll(keepingCapacity: partial.count <= 1 << 20)
                }
                start = i + 1
                partialStart = end
            }
            if start < count {
                partial.append(contentsOf: raw[start..<count].prefix(max(0, maxLine + 1 - partial.count)))
            }
        }
    }

    private func feed(_ line: UnsafeRawBufferPointer, start: UInt64, end: UInt64) throws {
        lineNumber += 1
        try ingester.line(line, source: path, number: lineNumber)
        if let first = ingester.pendingFirstLine {
            if first == lineNumber { recordStart = (start, lineNumber - 1) }
            decoded = recordStart
        } else {
            decoded = (end, lineNumber)
        }
    }

    /// After `idleNanoseconds` without new bytes: the last line is taken without its newline
    /// and the open record is complete.
    public func completeIfIdle(idleNanoseconds: UInt64) throws {
        guard FileFollower.now() &- lastGrowth >= idleNanoseconds else { return }
        try completeAll()
    }

    private func completeAll() throws {
        if !partial.isEmpty {
            try partial.withUnsafeBytes { try feed($0, start: partialStart, end: readOffset) }
            partial.removeAll()
            partialStart = readOffset
        }
        if ingester.pendingFirstLine != nil {
            try ingester.completeRecord()
            decoded = (partialStart, lineNumber)
        }
    }

    /// Whether a renamed-away file has been read to its end and left idle: nothing more
    /// will come from it.
    public func isFinished(idleNanoseconds: UInt64) -> Bool {
        isRotated && partial.isEmpty && ingester.pendingFirstLine == nil && FileFollower.now() &- lastGrowth >= idleNanoseconds
    }
}
