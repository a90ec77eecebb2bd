import Foundation

/// Known message shapes (masked words joined by spaces) to their pattern: an open-addressing
/// table over one byte arena, so a lookup is a hash probe and a `memcmp`, with no string made
/// or hashed per line.
struct ShapeTable: Sendable {
    private struct Entry {
        var hash: UInt64
        var offset: Int
        var count: Int
        var id: UInt32
    }

    /// Entry number + 1 per slot (0: empty); a power of two, at most half full.
    private var slots: [UInt32] = Array(repeating: 0, count: 64)
    private var entries: [Entry] = []
    private var arena: [UInt8] = []

    var count: Int { entries.count }

    func find(_ shape: UnsafeRawBufferPointer, hash: UInt64) -> UInt32? {
        let at = slot(of: shape, hash: hash)
        let e = slots[at]
        return e == 0 ? nil : entries[Int(e - 1)].id
    }

    /// Maps `shape` to `id`, replacing what it mapped to.
    mutating func set(_ shape: UnsafeRawBufferPointer, hash: UInt64, id: UInt32) {
        let at = slot(of: shape, hash: hash)
        if slots[at] != 0 {
            entries[Int(slots[at] - 1)].id = id
            return
        }
        entries.append(Entry(hash: hash, offset: arena.count, count: shape.count, id: id))
        arena.append(contentsOf: shape)
        slots[at] = UInt32(entries.count)
        if entries.count * 2 > slots.count { grow() }
    }

    /// The slot holding `shape`, or the empty slot where it would go.
    private func slot(of shape: UnsafeRawBufferPointer, hash: UInt64) -> Int {
        let mask = slots.count - 1
        var at = Int(truncatingIfNeeded: hash) & mask
        return arena.withUnsafeBytes { a in
            while true {
                let e = slots[at]
                if e == 0 { return at }
                let entry = entries[Int(e - 1)]
                if entry.hash == hash, entry.count == shape.count,
                    shape.count == 0 || memcmp(a.baseAddress! + entry.offset, shape.baseAddress!, shape.count) == 0
                {
                    return at
                }
                at = (at + 1) & mask
            }
        }
    }

    private mutating func grow() {
        var larger = [UInt32](repeating: 0, count: slots.count * 2)
        let mask = larger.count - 1
        for (n, entry) in entries.enumerated() {
            var at = Int(truncatingIfNeeded: entry.hash) & mask
            while larger[at] != 0 { at = (at + 1) & mask }
            larger[at] = UInt32(n + 1)
        }
        slots = larger
    }
}
