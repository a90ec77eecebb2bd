/// Thrown when bytes do not decode: a truncated WAL record, a corrupt segment section.
public struct DecodeError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A bounds-checked cursor over immutable bytes (a mapped segment, a WAL record).
///
/// Every read checks bounds and throws rather than trapping, so a corrupt file is reported,
/// never served and never a crash.
public struct ByteReader {
    public let base: UnsafeRawBufferPointer
    public var offset: Int

    public init(_ base: UnsafeRawBufferPointer, offset: Int = 0) {
        self.base = base
        self.offset = offset
    }

    public var remaining: Int { base.count - offset }
    public var isAtEnd: Bool { offset >= base.count }

    @inline(__always)
    mutating func need(_ n: Int) throws {
        // Compared without `offset + n`: a damaged length near Int.max must not trap.
        if n < 0 || n > base.count - offset {
            throw DecodeError("truncated data at offset \(offset) (need \(n) bytes, have \(base.count - offset))")
        }
    }

    public mutating func u8() throws -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return base[offset]
    }

    public mutating func u16() throws -> UInt16 {
        try need(2)
        defer { offset += 2 }
        return base.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian
    }

    public mutating func u32() throws -> UInt32 {
        try need(4)
        defer { offset += 4 }
        return base.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian
    }

    public mutating func u64() throws -> UInt64 {
        try need(8)
        defer { offset += 8 }
        return base.loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian
    }

    public mutating func f64() throws -> Double { Double(bitPattern: try u64()) }

    @inline(__always)
    public mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < base.count else { throw DecodeError("truncated varint at offset \(offset)") }
            let b = base[offset]
            offset += 1
            result |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { throw DecodeError("varint too long at offset \(offset)") }
        }
    }

    public mutating func varintInt() throws -> Int {
        let v = try varint()
        guard v <= UInt64(Int.max) else { throw DecodeError("varint out of range at offset \(offset)") }
        return Int(v)
    }

    public mutating func bytes(_ n: Int) throws -> UnsafeRawBufferPointer {
        try need(n)
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: base[offset..<(offset + n)])
    }

    public mutating func blob() throws -> UnsafeRawBufferPointer {
        let n = try varintInt()
        return try bytes(n)
    }

    public mutating func string() throws -> String {
        String(decoding: try blob(), as: UTF8.self)
    }

    public mutating func skip(_ n: Int) throws {
        try need(n)
        offset += n
    }
}

/// Unchecked varint decoding for hot loops over data whose section checksum was verified.
@inline(__always)
func readVarint64(_ p: UnsafePointer<UInt8>, _ i: inout Int) -> UInt64 {
    var b = p[i]
    i += 1
    if b < 0x80 { return UInt64(b) }
    var result = UInt64(b & 0x7f)
    var shift: UInt64 = 7
    repeat {
        b = p[i]
        i += 1
        result |= UInt64(b & 0x7f) << shift
        shift += 7
    } while b >= 0x80 && shift < 64
    return result
}

/// `readVarint64` for doc ordinals, deltas, frequencies and positions (32-bit values).
@inline(__always)
func readVarint32(_ p: UnsafePointer<UInt8>, _ i: inout Int) -> UInt32 {
    UInt32(truncatingIfNeeded: readVarint64(p, &i))
}
