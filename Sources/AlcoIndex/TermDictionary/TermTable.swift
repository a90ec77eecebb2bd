/// An open-addressing hash table from term bytes to dense term numbers, with the term bytes
/// kept in one arena: the builder's vocabulary without a String per token.
struct TermTable {
    private(set) var arena: [UInt8] = []
    private(set) var starts: [UInt32] = [0]
    /// Each slot holds `hash << 32 | (id + 1)`, 0 when empty: a probe reads the hash with the
    /// id in one load (one cache miss), and only a matching hash goes on to compare bytes.
    private var slots: [UInt64]
    private var mask: Int

    init(capacity: Int = 1 << 14) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        arena.reserveCapacity(capacity * 8)
    }

    var count: Int { starts.count - 1 }

    @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for b in key { h = (h ^ UInt32(b)) &* 16_777_619 }
        return h
    }

    func term(_ id: Int) -> ArraySlice<UInt8> {
        arena[Int(starts[id])..<Int(starts[id + 1])]
    }

    /// The id of `key`, if it was interned.
    func find(_ key: UnsafeRawBufferPointer) -> Int? {
        let h = TermTable.hash(key)
        var slot = Int(h) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            let id = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
            if UInt32(truncatingIfNeeded: entry >> 32) == h && equals(id, key) { return id }
            slot = (slot + 1) & mask
        }
    }

    /// Returns the id of `key`, adding it when new.
    @inline(__always)
    mutating func intern(_ key: UnsafeRawBufferPointer) -> Int {
        let h = TermTable.hash(key)
        var slot = Int(h) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            let id = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
            if UInt32(truncatingIfNeeded: entry >> 32) == h && equals(id, key) { return id }
            slot = (slot + 1) & mask
        }
        let id = count
        arena.append(contentsOf: key)
        starts.append(UInt32(arena.count))
        slots[slot] = UInt64(h) << 32 | UInt64(id + 1)
        if count * 2 > slots.count { grow() }
        return id
    }

    @inline(__always)
    private func equals(_ id: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let s = Int(starts[id])
        let e = Int(starts[id + 1])
        if e - s != key.count { return false }
        return arena.withUnsafeBytes { a in
            memcmp(a.baseAddress! + s, key.baseAddress!, key.count) == 0
        }
    }

    private mutating func grow() {
        let old = slots
        let size = slots.count * 2
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        for entry in old where entry != 0 {
            var slot = Int(truncatingIfNeeded: entry >> 32) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = entry
        }
    }

    /// Term ids ordered by their bytes (the dictionary's order).
    func sortedIDs() -> [Int] {
        arena.withUnsafeBytes { a in
            let base = a.baseAddress!
            return (0..<count).sorted { x, y in
                let xs = Int(starts[x]), xe = Int(starts[x + 1])
                let ys = Int(starts[y]), ye = Int(starts[y + 1])
                let n = min(xe - xs, ye - ys)
                let c = memcmp(base + xs, base + ys, n)
                if c != 0 { return c < 0 }
                return xe - xs < ye - ys
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
