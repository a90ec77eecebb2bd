/// One js key's data in a segment: a sorted value dictionary with postings (so equality
/// filters and facets do not scan), a bit-packed forward column of each doc's value ordinal
/// (group-by), and a numeric column (ranges).
public struct AttributeReader: @unchecked Sendable {
    public let key: String
    let data: UnsafeRawBufferPointer
    public let valueCount: Int
    /// Values in blocks (`AttributeValueBlocks`, flag 8), else one entry offset per value.
    let valueBlocks: Bool
    /// Its lists in the postings section have no head (flag 16, format 7 on).
    let headlessLists: Bool
    let offsetsAt: Int
    let forwardAt: Int
    let forwardWidth: Int
    /// A sparse forward column: `sparseCount` docs (u32s, ascending) at `forwardAt + 8`,
    /// then their ranks bit-packed at `sparseRanksAt`; nil for one slot per doc.
    let sparseCount: Int?
    let sparseRanksAt: Int
    let numericAt: Int?
    let numericKind: NumericColumn.Kind
    let numericScale: Double
    let numericWidth: Int
    let numericMin: Int64
    /// A sparse numeric column's doc count (its docs at `numericAt`, doubles at `sparseNumbersAt`).
    let numericSparseCount: Int
    let sparseNumbersAt: Int
    let docCount: Int
    /// Docs and newest doc per forward rank over the whole segment, when the segment stored
    /// them (`ForwardTally`); nil in older segments.
    var wholeSegmentTally: ForwardTally?
    /// Checks the bytes of values and columns as they are read: a damaged one reads as no
    /// value, and the search fails on the segment's damage before it answers.
    let pages: PageVerifier?

    /// Reads one directory entry (at the reader's offset) over the segment's attribute data;
    /// without `named`, its key is left empty (checking a directory needs no String per key).
    static func readEntry(
        _ r: inout ByteReader, data: UnsafeRawBufferPointer, docCount: Int, named: Bool = true, pages: PageVerifier?
    ) throws -> AttributeReader {
        func require(_ range: Range<Int>) throws {
            guard let pages, range.lowerBound >= 0, range.lowerBound <= range.upperBound, range.upperBound <= data.count else { return }
            try pages.require(UnsafeRawBufferPointer(rebasing: data[range]))
        }
        let keyBytes = try r.blob()
        let key = named ? String(decoding: keyBytes, as: UTF8.self) : ""
        let flags = try r.u8()
        var valueCount = 0, offsetsAt = 0, forwardAt = 0, width = 0
        var sparseCount: Int?
        var sparseRanksAt = 0
        var numericSparseCount = 0
        var sparseNumbersAt = 0
        var numericAt: Int?
        var kind = NumericColumn.Kind.raw
        var scale = 1.0
        var nwidth = 0
        var nmin: Int64 = 0
        if flags & 1 != 0 {
            valueCount = try r.varintInt()
            offsetsAt = try r.varintInt()
            forwardAt = try r.varintInt()
            width = Int(try r.u8())
            let offsetCount = flags & 8 != 0 ? AttributeValueBlocks.blockCount(values: valueCount) : valueCount + 1
            guard valueCount <= data.count, offsetsAt <= data.count, offsetsAt + offsetCount * 4 <= data.count,
                width <= 32, forwardAt <= data.count
            else { throw DecodeError("attribute \(key) out of range") }
            if flags & 4 != 0 {
                guard forwardAt + 4 <= data.count else { throw DecodeError("attribute \(key) out of range") }
                try require(forwardAt..<(forwardAt + 4))
                let count = Int(data.loadUnaligned(fromByteOffset: forwardAt, as: UInt32.self).littleEndian)
                // Values in blocks: the ranks follow the docs; before, at the next 8 bytes.
                sparseRanksAt = flags & 8 != 0 ? forwardAt + 4 + count * 4 : (forwardAt + 4 + count * 4 + 7) & ~7
                guard count <= docCount, sparseRanksAt + BitPacking.byteCount(count: count, width: width) <= data.count else {
                    throw DecodeError("sparse attribute \(key) out of range")
                }
                sparseCount = count
                // Few docs by construction: its docs and ranks are checked now, not per read.
                try require(forwardAt..<(sparseRanksAt + BitPacking.byteCount(count: count, width: width)))
            } else {
                guard forwardAt + BitPacking.byteCount(count: docCount, width: width) <= data.count else {
                    throw DecodeError("attribute \(key) out of range")
                }
            }
        }
        if flags & 2 != 0 {
            let at = try r.varintInt()
            guard at <= data.count - 16 else { throw DecodeError("numeric column \(key) out of range") }
            try require(at..<(at + 16))
            guard let k = NumericColumn.Kind(rawValue: data[at]) else {
                throw DecodeError("numeric column \(key) out of range")
            }
            kind = k
            switch k {
            case .raw:
                guard at + 8 + docCount * 8 <= data.count else { throw DecodeError("numeric column \(key) out of range") }
                numericAt = at + 8
            case .scaled:
                let e = Int(data[at + 1])
                nwidth = Int(data[at + 2])
                guard e <= 6, nwidth >= 1, nwidth <= 56,
                    at + 16 + BitPacking.byteCount(count: docCount, width: nwidth) <= data.count
                else { throw DecodeError("numeric column \(key) out of range") }
                scale = NumericColumn.powers[e]
                nmin = Int64(bitPattern: data.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self).littleEndian)
                numericAt = at + 16
            case .sparse:
                let count = data.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self).littleEndian
                guard count <= UInt64(docCount) else { throw DecodeError("numeric column \(key) out of range") }
                numericSparseCount = Int(count)
                numericAt = at + 16
                sparseNumbersAt = (at + 16 + numericSparseCount * 4 + 7) & ~7
                guard sparseNumbersAt + numericSparseCount * 8 <= data.count else {
                    throw DecodeError("numeric column \(key) out of range")
                }
                try require(at..<(sparseNumbersAt + numericSparseCount * 8))
            }
        }
        return AttributeReader(
            key: key, data: data,
            valueCount: valueCount, valueBlocks: flags & 8 != 0, headlessLists: flags & 16 != 0,
            offsetsAt: offsetsAt, forwardAt: forwardAt,
            forwardWidth: width, sparseCount: sparseCount, sparseRanksAt: sparseRanksAt,
            numericAt: numericAt, numericKind: kind,
            numericScale: scale, numericWidth: nwidth, numericMin: nmin,
            numericSparseCount: numericSparseCount, sparseNumbersAt: sparseNumbersAt, docCount: docCount,
            pages: pages)
    }

    /// Whether `count` bytes at `offset` of the data are intact (checked on first read).
    @inline(__always)
    private func intact(_ offset: Int, _ count: Int) -> Bool {
        guard let pages else { return true }
        return pages.check(data.baseAddress! + offset, count: count)
    }

    public var hasStrings: Bool { valueCount > 0 }
    public var hasNumbers: Bool { numericAt != nil }

    private func u32(at offset: Int) -> Int { Int(data.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian) }

    /// Where value `rank`'s entry starts (values not in blocks), once its offset is
    /// checked; nil when damaged.
    private func checkedEntryOffset(_ rank: Int) -> Int? {
        guard intact(offsetsAt, 4), intact(offsetsAt + 4 + rank * 4, 4) else { return nil }
        return u32(at: offsetsAt) + u32(at: offsetsAt + 4 + rank * 4)
    }

    /// Block `b`'s bytes, once they and their offsets are found intact; nil when damaged.
    private func blockRange(_ b: Int) -> Range<Int>? {
        let last = b + 1 == AttributeValueBlocks.blockCount(values: valueCount)
        guard intact(offsetsAt + b * 4, last ? 4 : 8) else { return nil }
        let start = offsetsAt - u32(at: offsetsAt + b * 4)
        let end = last ? offsetsAt : offsetsAt - u32(at: offsetsAt + 4 + b * 4)
        guard start >= 0, start <= end, intact(start, end - start) else { return nil }
        return start..<end
    }

    /// Value `rank`'s bytes and where its docs are; nil when its bytes are damaged.
    private func entry<T>(_ rank: Int, _ body: (UnsafeRawBufferPointer, AttributeValuePostings) -> T) -> T? {
        guard rank >= 0, rank < valueCount else { return nil }
        if valueBlocks {
            guard let block = blockRange(rank / AttributeValueBlocks.blockSize) else { return nil }
            var cursor = AttributeValueBlockCursor(data: data, block: block)
            // Entries before it rebuild its value: one that does not decode ends the walk.
            var postings: AttributeValuePostings?
            for _ in 0...(rank % AttributeValueBlocks.blockSize) {
                guard let next = try? cursor.next() else { return nil }
                postings = next
            }
            guard let postings else { return nil }
            return cursor.value.withUnsafeBytes { body($0, postings) }
        }
        guard let at = checkedEntryOffset(rank) else { return nil }
        var r = ByteReader(data, offset: at)
        guard let bytes = try? r.blob(), let df = try? r.varintInt(), let po = try? r.varintInt() else { return nil }
        // Parsed bounds-checked, used only once the bytes it took are found intact.
        guard intact(at, r.offset - at) else { return nil }
        return body(bytes, .stored(offset: po, docFreq: df))
    }

    /// Value `rank` (0-based); empty when its bytes are damaged.
    public func value(_ rank: Int) -> String {
        entry(rank) { bytes, _ in String(decoding: bytes, as: UTF8.self) } ?? ""
    }

    /// Calls `body` with each rank that `wanted` accepts and its value (empty when damaged),
    /// in rank order, decoding each block once: a GROUP BY names its groups this way.
    public func forEachValue(where wanted: (Int) -> Bool, _ body: (Int, String) -> Void) {
        guard valueBlocks else {
            for rank in 0..<valueCount where wanted(rank) { body(rank, value(rank)) }
            return
        }
        let size = AttributeValueBlocks.blockSize
        for b in 0..<AttributeValueBlocks.blockCount(values: valueCount) {
            let ranks = (b * size)..<min(valueCount, (b + 1) * size)
            guard ranks.contains(where: wanted) else { continue }
            var cursor = blockRange(b).map { AttributeValueBlockCursor(data: data, block: $0) }
            for rank in ranks {
                if cursor != nil, (try? cursor!.next()) == nil { cursor = nil }
                if wanted(rank) { body(rank, cursor.map { String(decoding: $0.value, as: UTF8.self) } ?? "") }
            }
        }
    }

    /// Block `b`'s first value, whole at its start; nil when damaged.
    private func firstValue(ofBlock b: Int) -> UnsafeRawBufferPointer? {
        guard let block = blockRange(b) else { return nil }
        var r = ByteReader(UnsafeRawBufferPointer(rebasing: data[..<block.upperBound]), offset: block.lowerBound)
        return try? r.blob()
    }

    /// Where value `rank`'s docs are; nil when its bytes are damaged.
    public func postings(_ rank: Int) -> AttributeValuePostings? {
        entry(rank) { _, postings in postings }
    }

    /// The rank of `value` in the dictionary.
    public func rank(of value: String) -> Int? {
        var v = value
        return v.withUTF8 { key -> Int? in
            let key = UnsafeRawBufferPointer(key)
            guard valueBlocks else {
                return AttributeReader.search(count: valueCount) { mid in entry(mid) { bytes, _ in AttributeScratch.compare(bytes, key) } }
            }
            // The last block whose first value is at most `key`, then a walk through it.
            let blocks = AttributeValueBlocks.blockCount(values: valueCount)
            var lo = 0
            var hi = blocks
            while lo < hi {
                let mid = (lo + hi) / 2
                guard let first = firstValue(ofBlock: mid) else { return nil }
                let c = AttributeScratch.compare(first, key)
                if c == 0 { return mid * AttributeValueBlocks.blockSize }
                if c < 0 { lo = mid + 1 } else { hi = mid }
            }
            guard lo > 0, let block = blockRange(lo - 1) else { return nil }
            var cursor = AttributeValueBlockCursor(data: data, block: block)
            let first = (lo - 1) * AttributeValueBlocks.blockSize
            for rank in first..<min(valueCount, first + AttributeValueBlocks.blockSize) {
                guard (try? cursor.next()) != nil else { return nil }
                let c = cursor.value.withUnsafeBytes { AttributeScratch.compare($0, key) }
                if c == 0 { return rank }
                if c > 0 { return nil }
            }
            return nil
        }
    }

    /// Binary search over `count` sorted entries; `compare(mid)` orders entry `mid` against
    /// the key sought (nil when it is damaged: not found).
    private static func search(count: Int, compare: (Int) -> Int?) -> Int? {
        var lo = 0
        var hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            guard let c = compare(mid) else { return nil }
            if c == 0 { return mid }
            if c < 0 { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }

    /// The docs having `value` (any element, for arrays).
    public func postingList(for value: String, segmentPostings: UnsafeRawBufferPointer) throws -> PostingList? {
        guard let r = rank(of: value), let postings = postings(r) else { return nil }
        return try postingList(postings, segmentPostings: segmentPostings)
    }

    /// The list `postings` locates: inline in this key's data, or in the postings section.
    public func postingList(_ postings: AttributeValuePostings, segmentPostings: UnsafeRawBufferPointer) throws -> PostingList {
        switch postings {
        case .inline(let offset, let count):
            // Its bytes were checked with its block.
            return try PostingList(varintDocs: data, offset: offset, count: count)
        case .stored(let offset, let docFreq):
            return try PostingList(bytes: segmentPostings, offset: offset, shape: storedListShape(docFreq: docFreq), pages: pages)
        }
    }

    /// What a stored list of `docFreq` docs is, when its bytes do not say (no positions: a
    /// value is not a text).
    func storedListShape(docFreq: Int) -> PostingList.Shape? {
        headlessLists ? PostingList.Shape(docFreq: docFreq, hasPositions: false) : nil
    }

    /// The first value's rank + 1 for `doc`, 0 when the doc has no string value for this key.
    @inline(__always)
    public func forward(_ doc: UInt32) -> UInt32 {
        guard valueCount > 0 else { return 0 }
        if let count = sparseCount {
            guard let k = AttributeReader.find(doc, in: data.baseAddress! + forwardAt + 4, count: count) else { return 0 }
            return BitPacking.read(data.baseAddress! + sparseRanksAt, index: k, width: forwardWidth)
        }
        guard intact(forwardAt + (Int(doc) * forwardWidth) >> 3, 8) else { return 0 }
        return BitPacking.read(data.baseAddress! + forwardAt, index: Int(doc), width: forwardWidth)
    }

    /// Where `doc` is in an ascending list of `count` u32 docs, by binary search.
    static func find(_ doc: UInt32, in docs: UnsafeRawPointer, count: Int) -> Int? {
        let k = lowerBound(doc, in: docs, count: count)
        return k < count && docs.loadUnaligned(fromByteOffset: k * 4, as: UInt32.self).littleEndian == doc ? k : nil
    }

    /// The first position in an ascending u32 list holding `doc` or more.
    static func lowerBound(_ doc: UInt32, in docs: UnsafeRawPointer, count: Int) -> Int {
        var lo = 0
        var hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if docs.loadUnaligned(fromByteOffset: mid * 4, as: UInt32.self).littleEndian < doc { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Adds the docs of `range` per forward rank to `counts` (GROUP BY without a filter), and
    /// raises `newest[rank]` to the last ordinal with that rank: from the stored tally when
    /// `range` is the whole segment, else in one pass over the column.
    func tally(_ range: Range<UInt32>, counts: inout [Int], newest: inout [UInt32]) {
        if range == 0..<UInt32(docCount), let stored = wholeSegmentTally {
            for f in stored.counts.indices where stored.counts[f] > 0 {
                counts[f] += stored.counts[f]
                newest[f] = max(newest[f], stored.newest[f])
            }
            return
        }
        guard valueCount > 0 else {
            counts[0] += range.count
            if !range.isEmpty { newest[0] = range.upperBound - 1 }
            return
        }
        if let count = sparseCount {
            sparseTally(range, count: count, counts: &counts, newest: &newest)
            return
        }
        let base = data.baseAddress! + forwardAt
        let width = forwardWidth
        let ranks = counts.count
        let firstByte = (Int(range.lowerBound) * width) >> 3
        guard intact(forwardAt + firstByte, (Int(range.upperBound) * width + 7) >> 3 + 8 - firstByte) else { return }
        // Four counter lanes: most docs share a few values, and one counter per value would
        // make every increment wait for the previous one.
        var lanes = [Int](repeating: 0, count: ranks * 4)
        lanes.withUnsafeMutableBufferPointer { c in
            for d in range {
                let f = Int(BitPacking.read(base, index: Int(d), width: width))
                c[Int(d & 3) * ranks + f] += 1
            }
        }
        var unseen = 0
        for f in 0..<ranks {
            let n = lanes[f] + lanes[ranks + f] + lanes[2 * ranks + f] + lanes[3 * ranks + f]
            counts[f] += n
            if n > 0 { unseen += 1 }
        }
        // The newest doc of each value present: walk back from the end until all are found.
        var found = [Bool](repeating: false, count: ranks)
        var d = range.upperBound
        while unseen > 0 && d > range.lowerBound {
            d -= 1
            let f = Int(BitPacking.read(base, index: Int(d), width: width))
            if !found[f] {
                found[f] = true
                newest[f] = max(newest[f], d)
                unseen -= 1
            }
        }
    }

    /// `tally` over a sparse column: only the listed docs in `range` are read.
    private func sparseTally(_ range: Range<UInt32>, count: Int, counts: inout [Int], newest: inout [UInt32]) {
        guard !range.isEmpty else { return }
        let docs = data.baseAddress! + forwardAt + 4
        let first = AttributeReader.lowerBound(range.lowerBound, in: docs, count: count)
        let end = AttributeReader.lowerBound(range.upperBound, in: docs, count: count)
        for k in first..<end {
            let d = docs.loadUnaligned(fromByteOffset: k * 4, as: UInt32.self).littleEndian
            let f = Int(BitPacking.read(data.baseAddress! + sparseRanksAt, index: k, width: forwardWidth))
            counts[f] += 1
            newest[f] = max(newest[f], d)
        }
        counts[0] += range.count - (end - first)
        // The newest doc of the range without a value: the last ordinal the list skips.
        var d = Int(range.upperBound) - 1
        var k = end - 1
        while d >= Int(range.lowerBound) && k >= first && Int(docs.loadUnaligned(fromByteOffset: k * 4, as: UInt32.self).littleEndian) == d {
            d -= 1
            k -= 1
        }
        if d >= Int(range.lowerBound) { newest[0] = max(newest[0], UInt32(d)) }
    }

    @inline(__always)
    public func number(_ doc: UInt32) -> Double? {
        guard let numericAt else { return nil }
        switch numericKind {
        case .sparse:
            guard let k = AttributeReader.find(doc, in: data.baseAddress! + numericAt, count: numericSparseCount) else { return nil }
            return Double(bitPattern: data.loadUnaligned(fromByteOffset: sparseNumbersAt + k * 8, as: UInt64.self).littleEndian)
        case .raw:
            guard intact(numericAt + Int(doc) * 8, 8) else { return nil }
            let d = Double(bitPattern: data.loadUnaligned(fromByteOffset: numericAt + Int(doc) * 8, as: UInt64.self).littleEndian)
            return d.isNaN ? nil : d
        case .scaled:
            guard intact(numericAt + (Int(doc) * numericWidth) >> 3, 8) else { return nil }
            let code = BitPacking.read64(data.baseAddress! + numericAt, index: Int(doc), width: numericWidth)
            if code == 0 { return nil }
            let v = Double(numericMin &+ Int64(bitPattern: code - 1))
            return numericScale == 1 ? v : v / numericScale
        }
    }

    /// A doc's value as group-by and facets show it: its first string, else its number.
    public func displayValue(_ doc: UInt32) -> String? {
        let f = forward(doc)
        if f != 0 { return value(Int(f) - 1) }
        return number(doc).map(NumericColumn.format)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
