/// Tombstones of one segment: a bitset of deleted ordinals. Immutable; a delete makes a new one,
/// so searches holding the old snapshot are unaffected.
public struct DeletionSet: Sendable, Equatable {
    private(set) var words: [UInt64]
    public private(set) var count: Int

    public init(docCount: Int) {
        words = [UInt64](repeating: 0, count: (docCount + 63) / 64)
        count = 0
    }

    @inline(__always)
    public func contains(_ ord: UInt32) -> Bool {
        let w = Int(ord >> 6)
        return w < words.count && words[w] & (1 << UInt64(ord & 63)) != 0
    }

    @discardableResult
    public mutating func insert(_ ord: UInt32) -> Bool {
        let w = Int(ord >> 6)
        guard w < words.count else { return false }
        let bit: UInt64 = 1 << UInt64(ord & 63)
        if words[w] & bit != 0 { return false }
        words[w] |= bit
        count += 1
        return true
    }

    public var isEmpty: Bool { count == 0 }

    public var ordinals: [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(count)
        for (i, w) in words.enumerated() where w != 0 {
            var x = w
            while x != 0 {
                let b = x.trailingZeroBitCount
                out.append(UInt32(i * 64 + b))
                x &= x - 1
            }
        }
        return out
    }
}

/// Tombstone files: `[u32 count][u32 crc32c][u32 ordinal]*`.
enum DeletionFile {
    static func write(_ path: String, _ set: DeletionSet) throws {
        var body = ByteWriter()
        for o in set.ordinals { body.u32(o) }
        var w = ByteWriter()
        w.u32(UInt32(set.count))
        w.u32(CRC32C.checksum(body.bytes))
        w.append(contentsOf: body.bytes)
        try FileSystem.writeAtomically(path, w.take())
    }

    static func read(_ path: String, docCount: Int) throws -> DeletionSet {
        let bytes = try FileSystem.readAll(path)
        return try bytes.withUnsafeBytes { buf in
            var r = ByteReader(buf)
            let n = Int(try r.u32())
            let crc = try r.u32()
            let body = try r.bytes(n * 4)
            guard CRC32C.checksum(body) == crc else { throw DecodeError("tombstone checksum mismatch") }
            var set = DeletionSet(docCount: docCount)
            var br = ByteReader(body)
            for _ in 0..<n { set.insert(try br.u32()) }
            return set
        }
    }
}
