/// A growable little-endian byte sink used by every on-disk serializer (segments, WAL records).
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Writes on into `buffer`'s memory (emptied), leaving this writer's in its place: a
    /// buffer kept from an earlier writer grows no more and faults in no new pages.
    public mutating func reuse(_ buffer: inout [UInt8]) {
        swap(&bytes, &buffer)
        bytes.removeAll(keepingCapacity: true)
    }

    public var count: Int { bytes.count }

    public mutating func reset() { bytes.removeAll(keepingCapacity: true) }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }

    public mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
    }

    public mutating func u32(_ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { append($0) }
    }

    public mutating func u64(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { append($0) }
    }

    public mutating func f64(_ v: Double) { u64(v.bitPattern) }

    /// LEB128 unsigned varint: small numbers (deltas, lengths) take one byte.
    @inline(__always)
    public mutating func varint(_ value: UInt64) {
        if value < 0x80 {
            bytes.append(UInt8(value))
            return
        }
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inline(__always) public mutating func varint(_ value: Int) { varint(UInt64(value)) }
    @inline(__always) public mutating func varint(_ value: UInt32) { varint(UInt64(value)) }

    public mutating func append<C: Collection>(contentsOf c: C) where C.Element == UInt8 {
        bytes.append(contentsOf: c)
    }

    /// (As typed bytes: an array appends a raw buffer byte by byte through its iterator, a
    /// typed one with one copy.)
    public mutating func append(_ buffer: UnsafeRawBufferPointer) {
        buffer.withMemoryRebound(to: UInt8.self) { bytes.append(contentsOf: $0) }
    }

    /// Length-prefixed bytes.
    public mutating func blob<C: Collection>(_ c: C) where C.Element == UInt8 {
        varint(c.count)
        bytes.append(contentsOf: c)
    }

    public mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { blob($0) }
    }

    /// Overwrites 4 bytes at `offset` (used to patch lengths and checksums after the fact).
    public mutating func patchU32(_ v: UInt32, at offset: Int) {
        withUnsafeBytes(of: v.littleEndian) { raw in
            for i in 0..<4 { bytes[offset + i] = raw[i] }
        }
    }

    public mutating func patchU64(_ v: UInt64, at offset: Int) {
        withUnsafeBytes(of: v.littleEndian) { raw in
            for i in 0..<8 { bytes[offset + i] = raw[i] }
        }
    }

    public mutating func take() -> [UInt8] {
        let out = bytes
        bytes = []
        return out
    }
}

extension ByteWriter {
    mutating func align(_ n: Int) {
        while count % n != 0 { u8(0) }
    }
}

/// Writes `value` as a varint at `p + i` (room for 10 bytes), leaving `i` after it: for
/// staging several small fields in stack memory and appending them to a `ByteWriter` at once
/// (each of its appends checks the array's uniqueness and capacity).
@inline(__always)
func writeVarint(_ value: UInt64, _ p: UnsafeMutablePointer<UInt8>, _ i: inout Int) {
    var v = value
    while v >= 0x80 {
        p[i] = UInt8(truncatingIfNeeded: v) | 0x80
        i += 1
        v >>= 7
    }
    p[i] = UInt8(v)
    i += 1
}
