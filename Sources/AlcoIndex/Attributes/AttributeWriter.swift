#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffers `encodeStrings` reuses from one key to the next: a segment may have hundreds of
/// thousands of keys, and a dozen arrays allocated per key were most of writing them.
struct AttributeScratch {
    var keyed: [(prefix: UInt64, value: Int32)] = []
    var rank: [UInt32] = []
    var start: [Int] = []
    var fill: [Int] = []
    var docsByValue: [UInt32] = []
    /// Where each value block starts in the attribute data.
    var blockStarts: [Int] = []
    var docs: [UInt32] = []
    var ranks: [UInt32] = []
    var forward: [UInt32] = []
    var postingsWriter = PostingsWriter()
    /// The last tallied key's tally: docs and newest doc per forward rank.
    var counts: [Int] = []
    var newest: [UInt32] = []

    /// The first 8 bytes, big-endian and zero-padded: byte order for most comparisons.
    static func prefix(_ v: UnsafeRawBufferPointer) -> UInt64 {
        var p: UInt64 = 0
        for i in 0..<8 { p = p << 8 | UInt64(i < v.count ? v[i] : 0) }
        return p
    }

    static func compare(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Int {
        let n = min(x.count, y.count)
        let c = n > 0 ? Int(memcmp(x.baseAddress!, y.baseAddress!, n)) : 0
        return c != 0 ? c : x.count - y.count
    }

    /// `array` emptied and refilled with `count` copies of `value`, keeping its capacity.
    static func reset<T>(_ array: inout [T], _ value: T, count: Int) {
        array.removeAll(keepingCapacity: true)
        array.append(contentsOf: repeatElement(value, count: count))
    }
}

/// One key's values at the end of a build (its part of the `AttributeTable`), written as
/// the segment stores them.
struct AttributeWriter {
    let view: AttributeTable.KeyView
    let table: AttributeTable

    init(view: AttributeTable.KeyView, table: AttributeTable) {
        self.view = view
        self.table = table
    }

    var valueCount: Int { view.values.count }

    /// Local value `k`'s bytes.
    func value(_ k: Int) -> UnsafeRawBufferPointer { table.valueBytes(view.values[view.values.startIndex + k]) }

    /// Local value indexes sorted by their bytes (the reader's binary search order): by an
    /// 8-byte big-endian prefix, then whole values where prefixes tie; into `scratch.keyed`.
    func sortValues(_ scratch: inout AttributeScratch) {
        scratch.keyed.removeAll(keepingCapacity: true)
        for k in 0..<valueCount { scratch.keyed.append((AttributeScratch.prefix(value(k)), Int32(k))) }
        if scratch.keyed.count > 1 {
            scratch.keyed.sort { a, b in
                a.prefix != b.prefix ? a.prefix < b.prefix : AttributeScratch.compare(value(Int(a.value)), value(Int(b.value))) < 0
            }
        }
    }

    /// Whether a key that `docs` of `n` documents have gets sparse columns (a list of those
    /// documents with their values) rather than a value slot per document: keys only a few
    /// lines have (request-scoped keys, ids as keys) would otherwise cost keys × documents.
    static func isSparse(docs: Int, of n: Int) -> Bool { docs * 8 < n }

    /// Whether a key stores its GROUP BY tally (`ForwardTally`): not a sparse one, whose
    /// GROUP BY reads only its few docs, nor one with about as many values as docs (request
    /// ids), whose tally would be as large as its column and which a GROUP BY reads in one pass.
    static func keepsTally(valueCount: Int, docCount n: Int, sparse: Bool) -> Bool { !sparse && valueCount * 4 <= n }

    /// Documents with at least one string value (occurrences ascend by doc).
    var docsWithString: Int {
        var count = 0
        var last: UInt32?
        for d in view.occurrenceDoc where d != last {
            count += 1
            last = d
        }
        return count
    }

    /// Writes the sorted value dictionary (`AttributeValueBlocks`) and the forward column of each
    /// doc's first value rank + 1: one bit-packed slot per doc (0 = none), or when `sparse`,
    /// the docs that have a value (u32s, ascending) followed by their ranks, bit-packed. When
    /// the key keeps a tally (`tallied`), it is left in `scratch.counts` and `scratch.newest`.
    func encodeStrings(
        docCount n: Int, sparse: Bool, postings: inout ByteWriter, data: inout ByteWriter,
        scratch s: inout AttributeScratch
    )
        -> (valueCount: Int, offsetsAt: Int, forwardAt: Int, forwardWidth: UInt8, tallied: Bool)
    {
        let valueOcc = view.occurrenceValue
        let docOcc = view.occurrenceDoc
        sortValues(&s)
        AttributeScratch.reset(&s.rank, 0, count: valueCount)
        for (r, entry) in s.keyed.enumerated() { s.rank[Int(entry.value)] = UInt32(r + 1) }
        // Docs per value, grouped by value (a counting sort of the occurrences).
        AttributeScratch.reset(&s.start, 0, count: valueCount + 1)
        for v in valueOcc { s.start[Int(v) + 1] += 1 }
        for i in 0..<valueCount { s.start[i + 1] += s.start[i] }
        s.fill.removeAll(keepingCapacity: true)
        s.fill.append(contentsOf: s.start)
        AttributeScratch.reset(&s.docsByValue, 0, count: docOcc.count)
        for (v32, d) in zip(valueOcc, docOcc) {
            let v = Int(v32)
            s.docsByValue[s.fill[v]] = d
            s.fill[v] += 1
        }
        // Values in blocks (`AttributeValueBlocks`): one offset per block, not per value.
        s.blockStarts.removeAll(keepingCapacity: true)
        var previous: UnsafeRawBufferPointer?
        for (r, entry) in s.keyed.enumerated() {
            let id = Int(entry.value)
            let v = value(id)
            if r % AttributeValueBlocks.blockSize == 0 {
                s.blockStarts.append(data.count)
                previous = nil
            }
            s.docs.removeAll(keepingCapacity: true)
            for i in s.start[id]..<s.start[id + 1] where s.docs.last != s.docsByValue[i] { s.docs.append(s.docsByValue[i]) }
            s.docs.withUnsafeBufferPointer {
                AttributeValueBlocks.writeEntry(
                    value: v, previous: previous, docs: $0, data: &data, postings: &postings,
                    postingsWriter: &s.postingsWriter)
            }
            previous = v
        }
        // Each block's start as a distance back from the offsets, which the last block
        // ends at (read unaligned: no padding).
        let offsetsAt = data.count
        for start in s.blockStarts { data.u32(UInt32(offsetsAt - start)) }
        let width = UInt8(max(1, 32 - UInt32(valueCount).leadingZeroBitCount))
        let tallied = AttributeWriter.keepsTally(valueCount: valueCount, docCount: n, sparse: sparse)
        if sparse {
            // Each doc's first value, in doc order (occurrences ascend by doc; a doc's values
            // follow in the order they were added).
            s.docs.removeAll(keepingCapacity: true)
            s.ranks.removeAll(keepingCapacity: true)
            for (v, d) in zip(valueOcc, docOcc) where s.docs.last != d {
                s.docs.append(d)
                s.ranks.append(s.rank[Int(v)])
            }
            // Read unaligned: no padding (values not in blocks had the ranks 8-aligned).
            let forwardAt = data.count
            data.u32(UInt32(s.docs.count))
            for d in s.docs { data.u32(d) }
            BitPacking.write(s.ranks, width: Int(width), to: &data)
            return (valueCount, offsetsAt, forwardAt, width, tallied)
        }
        AttributeScratch.reset(&s.forward, 0, count: n)
        for (v, d) in zip(valueOcc, docOcc) where s.forward[Int(d)] == 0 {
            s.forward[Int(d)] = s.rank[Int(v)]
        }
        data.align(8)
        let forwardAt = data.count
        BitPacking.write(s.forward, width: Int(width), to: &data)
        if tallied {
            AttributeScratch.reset(&s.counts, 0, count: valueCount + 1)
            AttributeScratch.reset(&s.newest, 0, count: valueCount + 1)
            for (d, f) in s.forward.enumerated() {
                s.counts[Int(f)] += 1
                s.newest[Int(f)] = UInt32(d)
            }
        }
        return (valueCount, offsetsAt, forwardAt, width, tallied)
    }

    /// Writes the numeric column: scaled integers bit-packed when every value is a decimal
    /// with at most 6 fraction digits that fits, else raw doubles; for a key few docs have,
    /// the docs (u32s, ascending) and their doubles. Returns its offset.
    func encodeNumbers(docCount n: Int, data: inout ByteWriter) -> Int {
        data.align(8)
        let at = data.count
        let numberDocs = view.numberDocs
        let numberValues = view.numberValues
        if AttributeWriter.isSparse(docs: numberDocs.count, of: n) {
            data.u8(NumericColumn.Kind.sparse.rawValue)
            data.align(8)
            data.u64(UInt64(numberDocs.count))
            for d in numberDocs { data.u32(d) }
            data.align(8)
            for v in numberValues { data.f64(v) }
            return at
        }
        var scale = -1
        search: for e in 0...6 {
            let f = NumericColumn.powers[e]
            for v in numberValues {
                let x = (v * f).rounded()
                if abs(x) >= 9.0e15 || x / f != v { continue search }
            }
            scale = e
            break
        }
        if scale >= 0 {
            let f = NumericColumn.powers[scale]
            let ints = numberValues.map { Int64(($0 * f).rounded()) }
            let lo = ints.min() ?? 0
            let hi = ints.max() ?? 0
            let span = UInt64(bitPattern: hi &- lo) &+ 1
            let width = max(1, 64 - span.leadingZeroBitCount)
            if width <= 56 {
                data.u8(NumericColumn.Kind.scaled.rawValue)
                data.u8(UInt8(scale))
                data.u8(UInt8(width))
                data.align(8)
                data.u64(UInt64(bitPattern: lo))
                var codes = [UInt64](repeating: 0, count: n)
                for (d, v) in zip(numberDocs, ints) { codes[Int(d)] = UInt64(bitPattern: v &- lo) &+ 1 }
                BitPacking.write64(codes, width: width, to: &data)
                return at
            }
        }
        data.u8(NumericColumn.Kind.raw.rawValue)
        data.align(8)
        var column = [Double](repeating: .nan, count: n)
        for (d, v) in zip(numberDocs, numberValues) { column[Int(d)] = v }
        for v in column { data.f64(v) }
        return at
    }
}
