/// A term's first 12 bytes as integers that compare as the bytes do (big-endian, zero
/// padded), with the term's id: what the dictionary's sort orders before it looks at any
/// term's whole bytes.
struct TermSortKey {
    var high: UInt64  // bytes 0..<8
    var low: UInt32  // bytes 8..<12
    var id: UInt32

    static let prefixBytes = 12

    @inline(__always)
    init(_ term: UnsafeRawBufferPointer, id: Int) {
        self.id = UInt32(truncatingIfNeeded: id)
        if term.count >= TermSortKey.prefixBytes {
            high = UInt64(bigEndian: term.loadUnaligned(as: UInt64.self))
            low = UInt32(bigEndian: term.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            return
        }
        // A shorter term (most are) is copied into zeroed bytes and loaded the same way.
        var padded: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &padded) { $0.copyMemory(from: term) }
        high = UInt64(bigEndian: padded.0)
        low = UInt32(bigEndian: UInt32(truncatingIfNeeded: padded.1))
    }

    @inline(__always)
    func samePrefix(_ other: TermSortKey) -> Bool { high == other.high && low == other.low }

    @inline(__always)
    func precedes(_ other: TermSortKey) -> Bool { high != other.high ? high < other.high : low < other.low }

    /// Byte `k` (0..<12) of the prefix.
    @inline(__always)
    func digit(_ k: Int) -> Int {
        k < 8
            ? Int(truncatingIfNeeded: high >> UInt64(56 - 8 * k)) & 0xFF
            : Int(truncatingIfNeeded: low >> UInt32(24 - 8 * (k - 8))) & 0xFF
    }
}

/// Orders keys by their 12-byte prefixes, most significant byte first: a range is split on
/// the first byte where its keys differ (the bytes they all share cost no pass), into ever
/// smaller ranges, each finished by insertion once it is small. A seal's ~50,000 terms take
/// a few passes where a least-significant-digit sort took one per byte (eleven or twelve).
/// Keys with equal prefixes end up next to each other in no particular order.
enum TermKeySort {
    /// Ranges this small are finished by insertion: counting 256 buckets costs more.
    static let insertionLimit = 32

    static func sort(_ keys: UnsafeMutableBufferPointer<TermSortKey>) {
        guard keys.count > 1 else { return }
        let spare = UnsafeMutableBufferPointer<TermSortKey>.allocate(capacity: keys.count)
        // One row of 256 bucket starts per prefix byte: a range's row stays valid while the
        // ranges inside it (which use the rows after it) are sorted.
        // Then 256 more: each bucket's next free place while one range is scattered.
        let rows = UnsafeMutablePointer<Int>.allocate(capacity: TermSortKey.prefixBytes * 257 + 256)
        defer {
            spare.deallocate()
            rows.deallocate()
        }
        sort(keys.baseAddress!, count: keys.count, byte: 0, spare: spare.baseAddress!, rows: rows)
    }

    /// Sorts `count` keys at `keys` that share their first `start` bytes. Each level of
    /// recursion splits on a later byte: the depth is at most the 12 prefix bytes.
    private static func sort(
        _ keys: UnsafeMutablePointer<TermSortKey>, count n: Int, byte start: Int,
        spare: UnsafeMutablePointer<TermSortKey>, rows: UnsafeMutablePointer<Int>
    ) {
        if n <= insertionLimit {
            insertionSort(keys, count: n)
            return
        }
        // The first byte where the keys differ, found in one pass: logs are full of terms that
        // share long prefixes (numbers, timestamps, ids), and a counting pass per shared byte
        // cost more than the rest of the sort.
        var highs: UInt64 = 0
        var lows: UInt32 = 0
        let first = keys[0]
        for i in 1..<n {
            highs |= keys[i].high ^ first.high
            lows |= keys[i].low ^ first.low
        }
        let byte =
            highs != 0
            ? highs.leadingZeroBitCount / 8
            : lows != 0 ? 8 + lows.leadingZeroBitCount / 8 : TermSortKey.prefixBytes
        guard byte < TermSortKey.prefixBytes else { return }  // every prefix the same
        precondition(byte >= start, "keys of a range share the bytes before it")
        let row = rows + byte * 257
        row.initialize(repeating: 0, count: 257)
        for i in 0..<n { row[keys[i].digit(byte) + 1] += 1 }
        // row[d] becomes where bucket d starts; row[256] is n.
        for d in 1...256 { row[d] += row[d - 1] }
        let next = rows + TermSortKey.prefixBytes * 257
        next.update(from: row, count: 256)
        for i in 0..<n {
            let d = keys[i].digit(byte)
            spare[next[d]] = keys[i]
            next[d] += 1
        }
        keys.update(from: spare, count: n)
        for d in 0..<256 where row[d + 1] - row[d] > 1 {
            sort(keys + row[d], count: row[d + 1] - row[d], byte: byte + 1, spare: spare, rows: rows)
        }
    }

    private static func insertionSort(_ keys: UnsafeMutablePointer<TermSortKey>, count n: Int) {
        guard n > 1 else { return }
        for i in 1..<n {
            let k = keys[i]
            var j = i
            while j > 0 && k.precedes(keys[j - 1]) {
                keys[j] = keys[j - 1]
                j -= 1
            }
            keys[j] = k
        }
    }
}
