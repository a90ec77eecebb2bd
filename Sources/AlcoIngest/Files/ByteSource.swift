import AlcoIndex
import CBzip2
import CZlib
import CZstd
import Foundation

/// Bytes of a log file as its lines were written: read from a descriptor, and inflated when
/// the file is gzip, zstd or bzip2 (told by its first bytes, not its name). Streams: memory
/// stays one buffer whatever the file's size.
public protocol ByteSource: AnyObject {
    /// Fills up to `buffer.count` bytes; 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A file whose bytes cannot be read as what they claim to be (corrupt or truncated
/// compressed data): what was read before it is kept.
public struct InputError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var detail: String
    public init(path: String, detail: String) {
        self.path = path
        self.detail = detail
    }
    public var description: String { "\(path): \(detail)" }
}

public enum ByteSources {
    /// The right reader for what `fd` holds; `path` names it in errors.
    public static func open(fd: Int32, path: String) throws -> any ByteSource {
        let raw = DescriptorSource(fd: fd, path: path)
        var head = [UInt8](repeating: 0, count: 4)
        let n = try head.withUnsafeMutableBytes { try raw.read(into: $0) }
        raw.unread(Array(head[0..<n]))
        if n >= 2, head[0] == 0x1f, head[1] == 0x8b { return try GzipSource(raw, path: path) }
        if n >= 4, head[0] == 0x28, head[1] == 0xb5, head[2] == 0x2f, head[3] == 0xfd { return try ZstdSource(raw, path: path) }
        if n >= 3, head[0] == UInt8(ascii: "B"), head[1] == UInt8(ascii: "Z"), head[2] == UInt8(ascii: "h") { return try Bzip2Source(raw, path: path) }
        return raw
    }
}

/// A descriptor's bytes, with a few bytes put back after peeking at them.
final class DescriptorSource: ByteSource {
    let fd: Int32
    let path: String
    private var pushedBack: [UInt8] = []

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    func unread(_ bytes: [UInt8]) { pushedBack = bytes + pushedBack }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        // Bytes put back come first, and the same call reads on after them: a first read
        // of only the peeked bytes would leave format detection a four-byte sample.
        var filled = 0
        if !pushedBack.isEmpty {
            filled = min(buffer.count, pushedBack.count)
            buffer.copyBytes(from: pushedBack[0..<filled])
            pushedBack.removeFirst(filled)
            if filled == buffer.count { return filled }
        }
        while true {
            let n = Foundation.read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            if n >= 0 { return filled + n }
            if errno != EINTR { throw AlcoError.io(path: path, operation: "read", errno: errno) }
        }
    }
}

/// The compressed input a decompressor works through.
private struct InputWindow {
    var bytes = [UInt8](repeating: 0, count: 1 << 18)
    var start = 0
    var end = 0
    var atEnd = false
    var isEmpty: Bool { start == end }

    mutating func refill(from source: DescriptorSource) throws {
        guard isEmpty, !atEnd else { return }
        let n = try bytes.withUnsafeMutableBytes { try source.read(into: $0) }
        start = 0
        end = n
        if n == 0 { atEnd = true }
    }
}

/// gzip, including files of several members one after another (`cat a.gz b.gz`).
final class GzipSource: ByteSource {
    private let source: DescriptorSource
    private let path: String
    private var stream = z_stream()
    private var input = InputWindow()
    private var finished = false

    init(_ source: DescriptorSource, path: String) throws {
        self.source = source
        self.path = path
        // 15 + 32: a zlib or gzip header, told apart by zlib.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw InputError(path: path, detail: "cannot start gzip decompression")
        }
    }

    deinit { inflateEnd(&stream) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while !finished {
            try input.refill(from: source)
            if input.isEmpty && input.atEnd {
                finished = true
                if stream.total_in > 0 && stream.avail_in == 0 && streamOpen { throw truncated() }
                break
            }
            let (start, available) = (input.start, input.end - input.start)
            let (produced, status) = input.bytes.withUnsafeMutableBytes { inBytes -> (Int, Int32) in
                stream.next_in = inBytes.baseAddress!.advanced(by: start).assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(available)
                stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(buffer.count)
                let status = inflate(&stream, Z_NO_FLUSH)
                return (buffer.count - Int(stream.avail_out), status)
            }
            input.start += available - Int(stream.avail_in)
            switch status {
            case Z_OK, Z_BUF_ERROR: streamOpen = true
            case Z_STREAM_END:
                // Another member may follow.
                streamOpen = false
                inflateReset(&stream)
            default:
                let why = stream.msg.map { String(cString: $0) } ?? String(cString: zError(status))
                throw InputError(path: path, detail: "gzip data is corrupt (\(why))")
            }
            if produced > 0 { return produced }
        }
        return 0
    }

    private var streamOpen = false

    private func truncated() -> InputError { InputError(path: path, detail: "gzip data ends before its end (a truncated file)") }
}

final class ZstdSource: ByteSource {
    private let source: DescriptorSource
    private let path: String
    private let stream: OpaquePointer
    private var input = InputWindow()
    private var frameOpen = false

    init(_ source: DescriptorSource, path: String) throws {
        self.source = source
        self.path = path
        guard let s = ZSTD_createDStream() else { throw InputError(path: path, detail: "cannot start zstd decompression") }
        stream = s
        ZSTD_initDStream(s)
    }

    deinit { ZSTD_freeDStream(stream) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            try input.refill(from: source)
            if input.isEmpty && input.atEnd {
                if frameOpen { throw InputError(path: path, detail: "zstd data ends before its end (a truncated file)") }
                return 0
            }
            let (start, available) = (input.start, input.end - input.start)
            let (produced, consumed, hint) = input.bytes.withUnsafeBytes { inBytes -> (Int, Int, Int) in
                var inBuf = ZSTD_inBuffer(src: inBytes.baseAddress!.advanced(by: start), size: available, pos: 0)
                var outBuf = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
                let hint = ZSTD_decompressStream(stream, &outBuf, &inBuf)
                return (outBuf.pos, inBuf.pos, hint)
            }
            input.start += consumed
            if ZSTD_isError(hint) != 0 {
                throw InputError(path: path, detail: "zstd data is corrupt (\(String(cString: ZSTD_getErrorName(hint))))")
            }
            frameOpen = hint != 0
            if produced > 0 { return produced }
        }
    }
}

final class Bzip2Source: ByteSource {
    private let source: DescriptorSource
    private let path: String
    private var stream = bz_stream()
    private var input = InputWindow()
    private var open = true

    init(_ source: DescriptorSource, path: String) throws {
        self.source = source
        self.path = path
        guard BZ2_bzDecompressInit(&stream, 0, 0) == BZ_OK else {
            throw InputError(path: path, detail: "cannot start bzip2 decompression")
        }
    }

    deinit { BZ2_bzDecompressEnd(&stream) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            try input.refill(from: source)
            if input.isEmpty && input.atEnd {
                if open && stream.total_in_lo32 > 0 { throw InputError(path: path, detail: "bzip2 data ends before its end (a truncated file)") }
                return 0
            }
            let (start, available) = (input.start, input.end - input.start)
            let room = Int(UInt32(clamping: buffer.count))
            let (produced, status) = input.bytes.withUnsafeMutableBytes { inBytes -> (Int, Int32) in
                stream.next_in = inBytes.baseAddress!.advanced(by: start).assumingMemoryBound(to: CChar.self)
                stream.avail_in = UInt32(available)
                stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
                stream.avail_out = UInt32(room)
                let status = BZ2_bzDecompress(&stream)
                return (room - Int(stream.avail_out), status)
            }
            input.start += available - Int(stream.avail_in)
            switch status {
            case BZ_OK: open = true
            case BZ_STREAM_END:
                // Concatenated streams (pbzip2): start the next one.
                BZ2_bzDecompressEnd(&stream)
                stream = bz_stream()
                guard BZ2_bzDecompressInit(&stream, 0, 0) == BZ_OK else {
                    throw InputError(path: path, detail: "cannot restart bzip2 decompression")
                }
                open = false
            default: throw InputError(path: path, detail: "bzip2 data is corrupt (error \(status))")
            }
            if produced > 0 { return produced }
        }
    }
}

/// `alco ingest /var/log/syslog*`: rotated files oldest first (`syslog.2.gz`, `syslog.1`,
/// `syslog`; dated ones, `syslog-20261201`, by date before the live one), each log's set in
/// the order its first file was named.
public enum RotationOrder {
    public static func sorted(_ paths: [String]) -> [String] {
        struct Key {
            var base: String
            var rank: (Int, Int)  // (0: numbered, 1: dated, 2: live; within: older first)
        }
        func key(_ path: String) -> Key {
            var name = path
            for ext in [".gz", ".zst", ".bz2"] where name.hasSuffix(ext) { name.removeLast(ext.count) }
            if let dot = name.lastIndex(of: "."), let n = Int(name[name.index(after: dot)...]), n >= 0, name.distance(from: dot, to: name.endIndex) <= 5 {
                return Key(base: String(name[..<dot]), rank: (0, -n))
            }
            if let sep = name.lastIndex(where: { $0 == "-" || $0 == "." }), name.distance(from: sep, to: name.endIndex) == 9,
                let date = Int(name[name.index(after: sep)...])
            {
                return Key(base: String(name[..<sep]), rank: (1, date))
            }
            return Key(base: name, rank: (2, 0))
        }
        var firstSeen: [String: Int] = [:]
        let keyed = paths.enumerated().map { (i, p) -> (Int, Key, String) in
            let k = key(p)
            if firstSeen[k.base] == nil { firstSeen[k.base] = i }
            return (i, k, p)
        }
        return keyed.sorted { a, b in
            let (fa, fb) = (firstSeen[a.1.base]!, firstSeen[b.1.base]!)
            if fa != fb { return fa < fb }
            if a.1.rank != b.1.rank { return a.1.rank < b.1.rank }
            return a.0 < b.0
        }.map(\.2)
    }
}
