#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How hard the doc store is compressed: fast when sealing fresh writes, high (LZ4HC) when
/// merging, where it pays for itself on every later read of the disk.
public enum StoreCompression: Sendable {
    case fast
    case high
}

/// What a built segment saw of each js key, for the column registry.
public struct ColumnSummary: Sendable {
    public var key: String
    public var lastID: UInt64
    /// Distinct values (bounded) with the last id each was seen at.
    public var values: [(value: String, lastID: UInt64)]
}

/// Builds one immutable segment from documents given in ascending id order, streaming: the
/// doc store is compressed block by block, postings accumulate in a byte pool, attributes in
/// per-key dictionaries.
public final class SegmentBuilder {
    /// Full-text fields after `logline` and `js`: js columns flagged `indexed`.
    public let extraFields: [String]
    let compression: StoreCompression
    private var extraFieldIndex: [[UInt8]: UInt8] = [:]

    private var ids: [UInt64] = []
    private var lengths: [UInt32] = []
    private var totalTokens: UInt64 = 0

    private var store: DocStoreWriter

    private var terms = TermTable()
    private var postings = PostingsPool()
    private var batch = TokenBatch()
    private var termIDs = GrowableBuffer<Int>(capacity: 256)

    private var attributes = AttributeTable()

    public init(extraFields: [String] = [], compression: StoreCompression = .fast) {
        self.extraFields = extraFields
        self.compression = compression
        for (i, f) in extraFields.enumerated() where i < 200 { extraFieldIndex[Array(f.utf8)] = UInt8(i + 2) }
        store = DocStoreWriter(compression: compression)
    }

    public var count: Int { ids.count }
    public var lastID: UInt64? { ids.last }

    /// Adds a document; ids must ascend.
    public func add(_ doc: Document) {
        precondition(ids.last.map { $0 < doc.id } ?? true, "segment documents must be added in ascending id order")
        let ord = UInt32(ids.count)
        ids.append(doc.id)
        store.add(logline: doc.logline, js: doc.js)

        // Work on local copies of the hot tables (swapped, not copied) so the token loop does
        // no class-property access checks or reference counting per token.
        var t = TermTable(capacity: 0)
        var p = PostingsPool(expectedBytes: 0)
        var b = TokenBatch()
        swap(&t, &terms)
        swap(&p, &postings)
        swap(&b, &batch)
        defer {
            swap(&t, &terms)
            swap(&p, &postings)
            swap(&b, &batch)
        }
        b.removeAll()
        var tokens: UInt32 = 0
        var logline = doc.logline
        logline.withUTF8 { buf in
            tokens += b.add(UnsafeRawBufferPointer(buf), field: SegmentFormat.Field.logline, firstPosition: 0)
        }
        var jsPosition: UInt32 = 0
        var extraPositions: [UInt8: UInt32] = [:]
        var js = doc.js
        _ = js.withUTF8 { buf in
            let attrs = attributes
            JSONScanner.forEachScalar(UnsafeRawBufferPointer(buf)) { path, scalar in
                let key = attrs.key(path)
                switch scalar {
                case .string(let s):
                    attrs.addString(s, key: key, doc: ord)
                    tokens += indexValue(s, path: path, jsPosition: &jsPosition, extraPositions: &extraPositions, batch: &b)
                case .number(let raw):
                    attrs.addNumber(raw, key: key, doc: ord)
                    tokens += indexValue(raw, path: path, jsPosition: &jsPosition, extraPositions: &extraPositions, batch: &b)
                case .bool(let v):
                    v ? "true".utf8.withContiguousStorageIfAvailable { attrs.addString(UnsafeRawBufferPointer($0), key: key, doc: ord) }
                        : "false".utf8.withContiguousStorageIfAvailable { attrs.addString(UnsafeRawBufferPointer($0), key: key, doc: ord) }
                }
            }
        }
        SegmentBuilder.invert(b, doc: ord, terms: &t, postings: &p, ids: &termIDs)
        lengths.append(tokens)
        totalTokens += UInt64(tokens)
    }

    /// Adds a js value's words to the batch in field `js` (and in its own field when the key
    /// is `indexed`); returns the number of words.
    private func indexValue(
        _ text: UnsafeRawBufferPointer, path: UnsafeRawBufferPointer, jsPosition: inout UInt32,
        extraPositions: inout [UInt8: UInt32], batch: inout TokenBatch
    ) -> UInt32 {
        let n = batch.add(text, field: SegmentFormat.Field.js, firstPosition: jsPosition)
        jsPosition += n + SegmentFormat.valuePositionGap
        if !extraFieldIndex.isEmpty, let f = extraFieldIndex[Array(path)] {
            let start = extraPositions[f] ?? 0
            let m = batch.add(text, field: f, firstPosition: start)
            extraPositions[f] = start + m + SegmentFormat.valuePositionGap
        }
        return n
    }

    /// Adds a document's tokens to the postings in passes that each request what the next
    /// one reads: every token's slot, then the term records those slots name, then (while
    /// interning) each term's postings state, then the pool line its next byte goes to. Per
    /// term, occurrences still arrive in position order.
    @inline(__always)
    private static func invert(
        _ batch: borrowing TokenBatch, doc: UInt32, terms: inout TermTable, postings: inout PostingsPool,
        ids: inout GrowableBuffer<Int>
    ) {
        let n = batch.count
        for k in 0..<n { terms.prefetch(hash: batch.tokens[k].hash) }
        for k in 0..<n { terms.prefetchRecord(hash: batch.tokens[k].hash) }
        ids.removeAll()
        for k in 0..<n {
            let id = terms.intern(batch.key(k), hash: batch.tokens[k].hash)
            if id == postings.termCount { postings.addTerm() }
            postings.prefetch(term: id)
            ids.append(id)
        }
        for k in 0..<n { postings.prefetchTail(term: ids[k]) }
        for k in 0..<n { postings.add(term: ids[k], doc: doc, position: batch.tokens[k].position) }
    }

    /// What this segment saw of each js key (call before `finish`).
    /// - Parameter wanted: whether a key's summary is wanted (a full registry takes only the
    ///   keys it has; the values of the others are not gathered).
    public func columnSummaries(wanted: (String) -> Bool = { _ in true }) -> [ColumnSummary] {
        let g = attributes.grouped()
        return (0..<attributes.keyCount).compactMap { k in
            let key = String(decoding: attributes.path(k), as: UTF8.self)
            guard wanted(key) else { return nil }
            let a = g.view(k)
            var values: [(String, UInt64)] = []
            for v in a.values.prefix(ColumnRegistry.maxValuesPerColumn) {
                values.append((String(decoding: attributes.valueBytes(v), as: UTF8.self), ids[Int(attributes.valueLastDoc(v))]))
            }
            for v in a.samples {
                values.append((String(decoding: attributes.sampleBytes(v), as: UTF8.self), ids[Int(attributes.sampleLastDoc(v))]))
            }
            return ColumnSummary(key: key, lastID: ids[Int(a.lastDoc)], values: values)
        }
    }

    /// Serializes the segment into bytes. The builder is spent afterwards.
    public func finish() -> [UInt8] {
        let image = finishImage()
        defer { image.deallocate() }
        return Array(image)
    }

    /// Serializes the segment into a buffer the caller owns (see `SegmentStorage(adopting:)`).
    public func finishImage() -> UnsafeMutableRawBufferPointer {
        var postingBytes = ByteWriter(capacity: postings.poolBytes)
        let (termIndex, termData, gramFilters) = writeTerms(postings: &postingBytes)
        let (attrDir, attrData, tallies) = writeAttributes(postings: &postingBytes)
        let multiField = multiFieldFrequencies()

        var meta = ByteWriter()
        meta.u32(SegmentFormat.version)
        meta.u32(UInt32(ids.count))
        meta.u64(ids.first ?? 0)
        meta.u64(ids.last ?? 0)
        meta.u64(totalTokens)
        meta.varint(2 + extraFields.count)
        for f in SegmentFormat.Field.names + extraFields { meta.string(f) }

        let (idSection, idBytes) = IDColumn.section(for: ids)
        // Ranking needs lengths only roughly: past 65,535 tokens they saturate.
        var lengthBytes = ByteWriter(capacity: ids.count * 2)
        for l in lengths { lengthBytes.u16(UInt16(min(l, UInt32(UInt16.max)))) }
        let docStore = store.finish()

        var file = SegmentFileWriter()
        file.add(.meta, meta.take())
        file.add(idSection, idBytes)
        file.add(.lengths, lengthBytes.take())
        file.add(.docStoreIndex, docStore.index)
        file.add(.docStoreData, docStore.data)
        if !docStore.dictionary.isEmpty { file.add(.docStoreDictionary, docStore.dictionary) }
        file.add(.termIndex, termIndex)
        file.add(.termData, termData)
        file.add(.termGramFilters, gramFilters)
        file.add(.postings, postingBytes.take())
        file.add(.attributes, attrDir)
        file.add(.attributeData, attrData)
        if !multiField.isEmpty { file.add(.multiFieldFrequencies, multiField) }
        file.add(.forwardTallies, tallies)
        return file.finish()
    }

    /// Writes the sorted, prefix-compressed dictionary with each term's postings.
    private func writeTerms(postings out: inout ByteWriter) -> (index: [UInt8], data: [UInt8], gramFilters: [UInt8]) {
        var index = ByteWriter()
        var data = ByteWriter(capacity: terms.arenaBytes)
        let order = terms.sortedIDs()
        let nBlocks = (order.count + SegmentFormat.termsPerBlock - 1) / SegmentFormat.termsPerBlock
        index.u32(UInt32(nBlocks))
        index.u32(UInt32(order.count))
        var filters = ByteWriter(capacity: 8 + nBlocks * GramFilter.bytes)
        filters.u32(UInt32(nBlocks))
        filters.u32(UInt32(GramFilter.bytes))
        var blockFilter = [UInt8](repeating: 0, count: GramFilter.bytes)
        var decoded = DecodedPostings()
        var writer = PostingsWriter()
        var prev = UnsafeRawBufferPointer(start: nil, count: 0)
        var previousOffset = 0
        for (k, t) in order.enumerated() {
            // Sorted order visits terms at random places: request what later iterations read.
            if k + 16 < order.count {
                terms.prefetchRecordOffset(ofTerm: order[k + 16])
                postings.prefetch(term: order[k + 16])
            }
            if k + 8 < order.count {
                terms.prefetchTerm(order[k + 8])
                postings.prefetchHead(term: order[k + 8])
            }
            if k % SegmentFormat.termsPerBlock == 0 {
                if k > 0 { filters.append(contentsOf: blockFilter) }
                for j in blockFilter.indices { blockFilter[j] = 0 }
                index.u64(UInt64(data.count))
                prev = UnsafeRawBufferPointer(start: nil, count: 0)
                previousOffset = 0
            }
            let term = terms.term(t)
            let len = term.count
            // The block's gram filter gets the word (no field byte); a word cut at the token
            // limit may hold a match across the cut, so its block is never skipped.
            blockFilter.withUnsafeMutableBufferPointer { f in
                if len - 1 >= Tokenizer.maxTokenBytes {
                    GramFilter.fill(f.baseAddress!)
                } else {
                    GramFilter.add(UnsafeRawBufferPointer(rebasing: term[1...]), to: f.baseAddress!)
                }
            }
            var shared = 0
            let limit = min(prev.count, len)
            while shared < limit && prev[shared] == term[shared] { shared += 1 }
            postings.decode(t, into: &decoded)
            data.varint(shared)
            data.varint(len - shared)
            data.append(UnsafeRawBufferPointer(rebasing: term[shared...]))
            data.varint(decoded.docs.count)
            // Most terms of a log segment occur once (ids, numbers): their postings sit in the
            // entry. Others point into the postings section, as a delta within the block.
            if decoded.docs.count == 1 {
                PostingsWriter.writeSingle(doc: decoded.docs.buffer[0], positions: decoded.positions.buffer,
                                           starts: decoded.starts.buffer, to: &data)
            } else {
                data.varint(out.count - previousOffset)
                previousOffset = out.count
                writer.write(docs: decoded.docs.buffer, positions: decoded.positions.buffer, starts: decoded.starts.buffer, to: &out)
            }
            prev = term
        }
        if !order.isEmpty { filters.append(contentsOf: blockFilter) }
        return (index.take(), data.take(), filters.take())
    }

    /// Terms below this many docs in every field are cheap to count by decoding.
    static let multiFieldFrequencyMinimum: UInt32 = 1024

    /// For each frequent term found in several text fields, the docs having it in any of them:
    /// counting a bare word over the whole segment (the commonest count) then decodes nothing.
    /// Entries: varint term length, term bytes (no field byte), varint doc count; in term order.
    private func multiFieldFrequencies() -> [UInt8] {
        let fieldCount = 2 + extraFields.count
        guard fieldCount > 1, fieldCount <= 256 else { return [] }
        var entries: [(term: [UInt8], docs: Int)] = []
        var key: [UInt8] = []
        var decoded = DecodedPostings()
        var bits = [UInt64](repeating: 0, count: (ids.count + 63) / 64)
        for t in 0..<terms.count where postings.docFreq(t) >= SegmentBuilder.multiFieldFrequencyMinimum {
            let full = terms.term(t)
            let word = full.dropFirst()
            var twins: [Int] = []
            for f in 0..<fieldCount {
                key.removeAll(keepingCapacity: true)
                key.append(UInt8(f))
                key.append(contentsOf: word)
                if let id = key.withUnsafeBytes({ terms.find($0) }) { twins.append(id) }
            }
            // Each group once: from its first member that is frequent enough to get here.
            guard twins.count > 1,
                twins.first(where: { postings.docFreq($0) >= SegmentBuilder.multiFieldFrequencyMinimum }) == t
            else { continue }
            for k in bits.indices { bits[k] = 0 }
            for id in twins {
                postings.decode(id, into: &decoded)
                for d in decoded.docs.buffer { bits[Int(d >> 6)] |= 1 << UInt64(d & 63) }
            }
            entries.append((Array(word), bits.reduce(0) { $0 + $1.nonzeroBitCount }))
        }
        guard !entries.isEmpty else { return [] }
        entries.sort { $0.term.lexicographicallyPrecedes($1.term) }
        var out = ByteWriter()
        out.varint(entries.count)
        for e in entries {
            out.varint(e.term.count)
            out.append(contentsOf: e.term)
            out.varint(e.docs)
        }
        return out.take()
    }

    private func writeAttributes(postings: inout ByteWriter) -> (directory: [UInt8], data: [UInt8], tallies: [UInt8]) {
        var dir = ByteWriter()
        var data = ByteWriter()
        var tallies = ByteWriter()
        // In key byte order (what the reader's binary search expects).
        var order: [(prefix: UInt64, key: Int32)] = (0..<attributes.keyCount).map { (AttributeScratch.prefix(attributes.path($0)), Int32($0)) }
        order.sort { a, b in
            a.prefix != b.prefix ? a.prefix < b.prefix : AttributeScratch.compare(attributes.path(Int(a.key)), attributes.path(Int(b.key))) < 0
        }
        dir.varint(order.count)
        let n = ids.count
        let grouped = attributes.grouped()
        tallies.varint((0..<attributes.keyCount).filter { grouped.valueStart[$0 + 1] > grouped.valueStart[$0] }.count)
        var scratch = AttributeScratch()
        for (_, k32) in order {
            let k = Int(k32)
            let acc = AttributeAccumulator(view: grouped.view(k), table: attributes)
            let path = attributes.path(k)
            dir.varint(path.count)
            dir.append(contentsOf: path)
            let hasStrings = acc.valueCount > 0
            let hasNumbers = !acc.view.numberDocs.isEmpty
            let sparseStrings = hasStrings && AttributeAccumulator.isSparse(docs: acc.docsWithString, of: n)
            dir.u8((hasStrings ? 1 : 0) | (hasNumbers ? 2 : 0) | (sparseStrings ? 4 : 0))
            if hasStrings {
                let encoded = acc.encodeStrings(docCount: n, sparse: sparseStrings, postings: &postings, data: &data, scratch: &scratch)
                dir.varint(encoded.valueCount)
                dir.varint(encoded.offsetsAt)
                dir.varint(encoded.forwardAt)
                dir.u8(encoded.forwardWidth)
                // The key's tally, as `ForwardTally` reads it.
                tallies.varint(path.count)
                tallies.append(contentsOf: path)
                tallies.varint(scratch.counts.count)
                for r in scratch.counts.indices {
                    tallies.varint(scratch.counts[r])
                    tallies.varint(Int(scratch.newest[r]))
                }
            }
            if hasNumbers {
                dir.varint(acc.encodeNumbers(docCount: n, data: &data))
            }
        }
        return (dir.take(), data.take(), tallies.take())
    }
}

/// Buffers `encodeStrings` reuses from one key to the next: a segment may have hundreds of
/// thousands of keys, and a dozen arrays allocated per key were most of writing them.
struct AttributeScratch {
    var keyed: [(prefix: UInt64, value: Int32)] = []
    var rank: [UInt32] = []
    var start: [Int] = []
    var fill: [Int] = []
    var docsByValue: [UInt32] = []
    var entryOffsets: [UInt32] = []
    var docs: [UInt32] = []
    var ranks: [UInt32] = []
    var forward: [UInt32] = []
    var postingsWriter = PostingsWriter()
    /// The last key's tally: docs and newest doc per forward rank.
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

/// One key's values at the end of a build (its part of the `AttributeTable`), encoded as
/// the segment stores them.
struct AttributeAccumulator {
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

    /// Writes the sorted value dictionary (with postings) and the forward column of each
    /// doc's first value rank + 1: one bit-packed slot per doc (0 = none), or when `sparse`,
    /// the docs that have a value (u32s, ascending) followed by their ranks, bit-packed.
    func encodeStrings(docCount n: Int, sparse: Bool, postings: inout ByteWriter, data: inout ByteWriter,
                       scratch s: inout AttributeScratch)
        -> (valueCount: Int, offsetsAt: Int, forwardAt: Int, forwardWidth: UInt8)
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
        s.entryOffsets.removeAll(keepingCapacity: true)
        let blobStart = data.count
        for entry in s.keyed {
            let id = Int(entry.value)
            s.entryOffsets.append(UInt32(data.count - blobStart))
            let v = value(id)
            data.varint(v.count)
            data.append(contentsOf: v)
            s.docs.removeAll(keepingCapacity: true)
            for i in s.start[id]..<s.start[id + 1] where s.docs.last != s.docsByValue[i] { s.docs.append(s.docsByValue[i]) }
            data.varint(s.docs.count)
            data.varint(postings.count)
            s.docs.withUnsafeBufferPointer { s.postingsWriter.write(docs: $0, positions: nil, starts: nil, to: &postings) }
        }
        data.align(4)
        let offsetsAt = data.count
        data.u32(UInt32(blobStart))
        for o in s.entryOffsets { data.u32(o) }
        let width = UInt8(max(1, 32 - UInt32(valueCount).leadingZeroBitCount))
        AttributeScratch.reset(&s.counts, 0, count: valueCount + 1)
        AttributeScratch.reset(&s.newest, 0, count: valueCount + 1)
        if sparse {
            // Each doc's first value, in doc order (occurrences ascend by doc; a doc's values
            // follow in the order they were added).
            s.docs.removeAll(keepingCapacity: true)
            s.ranks.removeAll(keepingCapacity: true)
            for (v, d) in zip(valueOcc, docOcc) where s.docs.last != d {
                s.docs.append(d)
                s.ranks.append(s.rank[Int(v)])
            }
            data.align(8)
            let forwardAt = data.count
            data.u32(UInt32(s.docs.count))
            for d in s.docs { data.u32(d) }
            data.align(8)
            BitPacking.write(s.ranks, width: Int(width), to: &data)
            for (d, f) in zip(s.docs, s.ranks) {
                s.counts[Int(f)] += 1
                s.newest[Int(f)] = d
            }
            s.counts[0] = n - s.docs.count
            // The newest doc without a value: the last ordinal the list skips.
            var d = n - 1
            var k = s.docs.count - 1
            while d >= 0 && k >= 0 && Int(s.docs[k]) == d {
                d -= 1
                k -= 1
            }
            s.newest[0] = UInt32(max(0, d))
            return (valueCount, offsetsAt, forwardAt, width)
        }
        AttributeScratch.reset(&s.forward, 0, count: n)
        for (v, d) in zip(valueOcc, docOcc) where s.forward[Int(d)] == 0 {
            s.forward[Int(d)] = s.rank[Int(v)]
        }
        data.align(8)
        let forwardAt = data.count
        BitPacking.write(s.forward, width: Int(width), to: &data)
        for (d, f) in s.forward.enumerated() {
            s.counts[Int(f)] += 1
            s.newest[Int(f)] = UInt32(d)
        }
        return (valueCount, offsetsAt, forwardAt, width)
    }

    /// Writes the numeric column: scaled integers bit-packed when every value is a decimal
    /// with at most 6 fraction digits that fits, else raw doubles; for a key few docs have,
    /// the docs (u32s, ascending) and their doubles. Returns its offset.
    func encodeNumbers(docCount n: Int, data: inout ByteWriter) -> Int {
        data.align(8)
        let at = data.count
        let numberDocs = view.numberDocs
        let numberValues = view.numberValues
        if AttributeAccumulator.isSparse(docs: numberDocs.count, of: n) {
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

enum NumericColumn {
    enum Kind: UInt8 { case raw = 0, scaled = 1, sparse = 2 }
    static let powers: [Double] = [1, 10, 100, 1000, 10000, 100_000, 1_000_000]

    /// Integers without a fraction, everything else as Swift prints doubles.
    static func format(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 9.0e15 { return String(Int64(d)) }
        return String(d)
    }
}

extension ByteWriter {
    mutating func align(_ n: Int) {
        while count % n != 0 { u8(0) }
    }
}

/// Assembles sections with alignment, checksums and the table of contents into one
/// allocation (the in-memory segment adopts it; no further copy).
struct SegmentFileWriter {
    private var sections: [(SegmentFormat.Section, [UInt8])] = []

    init() {}

    mutating func add(_ section: SegmentFormat.Section, _ bytes: [UInt8]) {
        sections.append((section, bytes))
    }

    static func aligned(_ n: Int) -> Int { (n + 7) & ~7 }

    /// The segment image; the caller owns (and must deallocate or adopt) the buffer.
    mutating func finish() -> UnsafeMutableRawBufferPointer {
        var layout: [(SegmentFormat.Section, UInt32, Int, Int)] = []
        var at = SegmentFormat.magic.count
        for (s, bytes) in sections {
            at = SegmentFileWriter.aligned(at)
            layout.append((s, CRC32C.checksum(bytes), at, bytes.count))
            at += bytes.count
        }
        let tocOffset = SegmentFileWriter.aligned(at)
        var t = ByteWriter()
        t.u32(UInt32(layout.count))
        t.u32(0)
        for (s, crc, off, len) in layout {
            t.u32(s.rawValue)
            t.u32(crc)
            t.u64(UInt64(off))
            t.u64(UInt64(len))
        }
        let tocBytes = t.take()
        t.append(contentsOf: tocBytes)
        t.u64(UInt64(tocOffset))
        t.u32(UInt32(tocBytes.count))
        t.u32(CRC32C.checksum(tocBytes))
        t.append(contentsOf: SegmentFormat.trailerMagic)
        let total = tocOffset + t.count
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 16)
        buffer.copyBytes(from: SegmentFormat.magic)
        var written = SegmentFormat.magic.count
        for (k, (_, bytes)) in sections.enumerated() {
            let off = layout[k].2
            // Only the alignment padding needs zeroing; sections overwrite the rest.
            UnsafeMutableRawBufferPointer(rebasing: buffer[written..<off]).initializeMemory(as: UInt8.self, repeating: 0)
            written = off + bytes.count
            bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[off..<(off + bytes.count)]).copyMemory(from: $0) }
            sections[k].1 = []  // release each section as soon as it is copied
        }
        UnsafeMutableRawBufferPointer(rebasing: buffer[written..<tocOffset]).initializeMemory(as: UInt8.self, repeating: 0)
        t.bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[tocOffset...]).copyMemory(from: $0) }
        return buffer
    }
}
