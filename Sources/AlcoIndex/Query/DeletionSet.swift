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
