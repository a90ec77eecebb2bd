import CSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open-addressing hash table from term bytes to dense term numbers, with the term bytes
/// kept in one arena: the builder's vocabulary without a String per token.
///
/// Noncopyable and on raw memory: it is probed once per token, and Swift arrays there cost a
/// uniqueness and a bounds check per access on top of the cache miss that is the real price.
/// A probe touches two places: the slot, then the term's arena record (its id, length and
/// bytes together), and `prefetch`/`prefetchRecord` let a caller request both ahead.
struct TermTable: ~Copyable {
    /// Each slot holds `hash << 32 | (record + 1)`, 0 when empty, where `record` is the
    /// offset of the term's record in the arena: `id` (u32), `length` (u32), then the bytes.
    private var slots: UnsafeMutablePointer<UInt64>
    private var mask: Int
    private var arena: GrowableBuffer<UInt8>
    /// Each term's record offset, by id (for `term`, `sortedIDs`; not used by probes).
    private var records: GrowableBuffer<UInt32>
    private(set) var keyBytes = 0

    private static let recordHeader = 8

    init(capacity: Int = 1 << 14) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = .allocate(capacity: size)
        slots.initialize(repeating: 0, count: size)
        mask = size - 1
        arena = GrowableBuffer(capacity: max(64, capacity * 16))
        records = GrowableBuffer(capacity: capacity)
    }

    deinit { slots.deallocate() }

    var count: Int { records.count }
    /// Bytes of all terms together.
    var arenaBytes: Int { keyBytes }

    /// A key's hash for the slots (kept only in memory): its bytes eight at a time, each word
    /// mixed in by a multiplication, where FNV-1a took a multiplication per byte in one
    /// dependent chain. `seed` separates the keys of each prefix (`intern(prefix:_:)`).
    @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt32 {
        hash(key.baseAddress, count: key.count, seed: seed)
    }

    /// `hash` of the `n` bytes at `start`.
    @inline(__always)
    static func hash(_ start: UnsafeRawPointer?, count n: Int, seed: UInt64 = 0) -> UInt32 {
        var h = seed ^ (UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15)
        @inline(__always) func mix(_ word: UInt64) {
            h = (h ^ word) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 29
        }
        if n > 0, let p = start {
            if n >= 8 {
                var i = 0
                while i + 8 < n {
                    mix(p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                    i += 8
                }
                mix(p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self))  // overlaps the last word
            } else if n >= 4 {
                let low = UInt64(p.loadUnaligned(as: UInt32.self))
                let high = UInt64(p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
                mix(low | high << 32)
            } else {
                let first = UInt64(p.load(as: UInt8.self))
                let middle = UInt64(p.load(fromByteOffset: n / 2, as: UInt8.self))
                let last = UInt64(p.load(fromByteOffset: n - 1, as: UInt8.self))
                mix(first | middle << 8 | last << 16)
            }
        }
        h = (h ^ (h >> 32)) &* 0x94D0_49BB_1331_11EB
        return UInt32(truncatingIfNeeded: h >> 32)
    }

    /// The seed that keys of `prefix` hash with.
    @inline(__always)
    private static func seed(prefix: UInt32) -> UInt64 { (UInt64(prefix) &+ 1) &* 0xD6E8_FEB8_6659_FD93 }

    @inline(__always)
    private func record(at offset: Int) -> (id: Int, bytes: UnsafeRawBufferPointer) {
        let r = UnsafeRawPointer(arena.base + offset)
        let id = Int(r.loadUnaligned(as: UInt32.self))
        let length = Int(r.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        return (id, UnsafeRawBufferPointer(start: r + TermTable.recordHeader, count: length))
    }

    /// Term `id`'s bytes; valid until the next `intern`.
    @inline(__always)
    func term(_ id: Int) -> UnsafeRawBufferPointer {
        record(at: Int(records[id])).bytes
    }

    /// The id of `key`, if it was interned.
    func find(_ key: UnsafeRawBufferPointer) -> Int? {
        let h = TermTable.hash(key)
        var slot = Int(h) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            if UInt32(truncatingIfNeeded: entry >> 32) == h {
                let r = record(at: Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1)
                if TermTable.same(r.bytes, key) { return r.id }
            }
            slot = (slot + 1) & mask
        }
    }

    /// Returns the id of `key`, adding it when new.
    @inline(__always)
    mutating func intern(_ key: UnsafeRawBufferPointer) -> Int {
        intern(key, hash: TermTable.hash(key))
    }

    /// Starts loading the slot where a key with hash `h` is probed first.
    @inline(__always)
    func prefetch(hash h: UInt32) {
        alco_prefetch(slots + (Int(h) & mask))
    }

    /// Once that slot is loaded: starts loading the record of the term it names, if its
    /// hash matches (the probe will compare those bytes).
    @inline(__always)
    func prefetchRecord(hash h: UInt32) {
        let entry = slots[Int(h) & mask]
        if entry != 0 && UInt32(truncatingIfNeeded: entry >> 32) == h {
            alco_prefetch(arena.base + (Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1))
        }
    }

    /// For walks by id: first request where term `id`'s record is, then (once that arrived)
    /// the record itself with `prefetchTerm`.
    @inline(__always)
    func prefetchRecordOffset(ofTerm id: Int) {
        alco_prefetch(records.base + id)
    }

    @inline(__always)
    func prefetchTerm(_ id: Int) {
        alco_prefetch(arena.base + Int(records[id]))
    }

    /// `intern` with the key's `TermTable.hash` already computed.
    @inline(__always)
    mutating func intern(_ key: UnsafeRawBufferPointer, hash h: UInt32) -> Int {
        var slot = Int(h) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            if UInt32(truncatingIfNeeded: entry >> 32) == h {
                let r = record(at: Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1)
                if TermTable.same(r.bytes, key) { return r.id }
            }
            slot = (slot + 1) & mask
        }
        let id = count
        let offset = arena.count
        arena.reserve(offset + TermTable.recordHeader + key.count)
        withUnsafeBytes(of: UInt32(id)) { arena.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(key.count)) { arena.append(contentsOf: $0) }
        arena.append(contentsOf: key)
        records.append(UInt32(offset))
        keyBytes += key.count
        slots[slot] = UInt64(h) << 32 | UInt64(offset + 1)
        if count * 2 > mask + 1 { grow() }
        return id
    }

    /// `intern` of the bytes of `prefix` (little-endian) followed by `key`, without building
    /// them: the attribute table keys every value by its js key's id.
    @inline(__always)
    mutating func intern(prefix: UInt32, _ key: UnsafeRawBufferPointer) -> Int {
        let h = TermTable.hash(key, seed: TermTable.seed(prefix: prefix))
        var p = prefix.littleEndian
        var slot = Int(h) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            if UInt32(truncatingIfNeeded: entry >> 32) == h {
                let r = record(at: Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1)
                if r.bytes.count == key.count + 4 && r.bytes.loadUnaligned(as: UInt32.self) == p
                    && (key.count == 0 || memcmp(r.bytes.baseAddress! + 4, key.baseAddress!, key.count) == 0)
                {
                    return r.id
                }
            }
            slot = (slot + 1) & mask
        }
        let id = count
        let offset = arena.count
        arena.reserve(offset + TermTable.recordHeader + 4 + key.count)
        withUnsafeBytes(of: UInt32(id)) { arena.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(key.count + 4)) { arena.append(contentsOf: $0) }
        withUnsafeBytes(of: &p) { arena.append(contentsOf: $0) }
        arena.append(contentsOf: key)
        records.append(UInt32(offset))
        keyBytes += key.count + 4
        slots[slot] = UInt64(h) << 32 | UInt64(offset + 1)
        if count * 2 > mask + 1 { grow() }
        return id
    }

    /// `find` of what `intern(prefix:_:)` stored.
    func find(prefix: UInt32, _ key: UnsafeRawBufferPointer) -> Int? {
        let h = TermTable.hash(key, seed: TermTable.seed(prefix: prefix))
        let p = prefix.littleEndian
        var slot = Int(h) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            if UInt32(truncatingIfNeeded: entry >> 32) == h {
                let r = record(at: Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1)
                if r.bytes.count == key.count + 4 && r.bytes.loadUnaligned(as: UInt32.self) == p
                    && (key.count == 0 || memcmp(r.bytes.baseAddress! + 4, key.baseAddress!, key.count) == 0)
                {
                    return r.id
                }
            }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    private static func same(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let n = a.count
        guard n == b.count else { return false }
        guard n > 0, let x = a.baseAddress, let y = b.baseAddress else { return true }
        return ShortBytes.equal(x, y, count: n)
    }

    private mutating func grow() {
        let oldSize = mask + 1
        let size = oldSize * 2
        let fresh = UnsafeMutablePointer<UInt64>.allocate(capacity: size)
        fresh.initialize(repeating: 0, count: size)
        let newMask = size - 1
        for k in 0..<oldSize {
            let entry = slots[k]
            if entry == 0 { continue }
            var slot = Int(truncatingIfNeeded: entry >> 32) & newMask
            while fresh[slot] != 0 { slot = (slot + 1) & newMask }
            fresh[slot] = entry
        }
        slots.deallocate()
        slots = fresh
        mask = newMask
    }

    /// Term ids ordered by their bytes (the dictionary's order): a radix sort on each term's
    /// first 12 bytes (`TermKeySort`), then a comparison sort within each run of equal
    /// prefixes. A seal sorts ~50,000 terms a segment, a merge millions; comparison sorting
    /// them was ~6% of ingest's CPU.
    func sortedIDs() -> [Int] {
        let n = count
        guard n > 1 else { return Array(0..<n) }
        let keys = UnsafeMutableBufferPointer<TermSortKey>.allocate(capacity: n)
        defer { keys.deallocate() }
        for id in 0..<n { keys[id] = TermSortKey(term(id), id: id) }
        TermKeySort.sort(keys)
        // Terms sharing their first 12 bytes: order the run by all of their bytes.
        var runStart = 0
        for i in 1...n {
            if i < n && keys[i].samePrefix(keys[runStart]) { continue }
            if i - runStart > 1 {
                var run = UnsafeMutableBufferPointer(rebasing: keys[runStart..<i])
                run.sort { a, b in
                    let x = term(Int(a.id))
                    let y = term(Int(b.id))
                    let shared = min(x.count, y.count)
                    let c = shared == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, shared)
                    return c != 0 ? c < 0 : x.count < y.count
                }
            }
            runStart = i
        }
        return keys.map { Int($0.id) }
    }
}
