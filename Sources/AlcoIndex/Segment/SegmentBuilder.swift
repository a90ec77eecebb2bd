#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How hard the doc store is compressed. A segment records its level (`DocStoreReader.level`),
/// so what was merged in a hurry is compressed again once no merge waits.
public enum StoreCompression: Sendable {
    /// Sealing fresh writes: zstd 1.
    case fast
    /// Merging with more merges waiting (a full-rate ingest outruns merges at `high`): zstd 3
    /// costs a sixth of what zstd 9 does, a merge ~0.6x; the doc store is ~12% larger until the
    /// background merges compress the segment again at `high` (`MergePolicy.background`).
    case interim
    /// Merging a quiet index, and OPTIMIZE: zstd 9, paid once for every later read of the disk.
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
    // One thread builds a segment: the per-access exclusivity checks of these properties
    // (the runtime's, a few percent of indexing) are off.
    @exclusivity(unchecked) private var extraFieldIndex: [[UInt8]: UInt8] = [:]

    @exclusivity(unchecked) private var ids: [UInt64] = []
    @exclusivity(unchecked) private var lengths: [UInt32] = []
    @exclusivity(unchecked) private var totalTokens: UInt64 = 0

    @exclusivity(unchecked) private var store: DocStoreWriter

    @exclusivity(unchecked) private var terms = TermTable()
    @exclusivity(unchecked) private var postings = PostingsPool()
    @exclusivity(unchecked) private var batch = TokenBatch()
    @exclusivity(unchecked) private var termIDs = GrowableBuffer<Int>(capacity: 256)

    @exclusivity(unchecked) private var attributes = AttributeTable()
    /// A bit per doc, set when its `pattern` attribute came from `Document.pattern` (see
    /// `SegmentFormat.Section.patternDocs`); empty while no doc has one.
    @exclusivity(unchecked) private var patternDocs: [UInt8] = []
    /// The `pattern` key's id in `attributes`, once a doc has had one.
    @exclusivity(unchecked) private var patternKeyID: Int?
    /// Docs were added by `addMerged`: the words come from the merged sources' postings.
    private var mergesPostings = false

    /// - Parameter expectedStoredBytes: the documents' bytes the segment will hold, when known.
    public init(extraFields: [String] = [], compression: StoreCompression = .fast, expectedStoredBytes: Int = 0) {
        self.extraFields = extraFields
        self.compression = compression
        for (i, f) in extraFields.enumerated() where i < 200 { extraFieldIndex[Array(f.utf8)] = UInt8(i + 2) }
        store = DocStoreWriter(compression: compression, expectedBytes: expectedStoredBytes)
    }

    public var count: Int { ids.count }
    public var lastID: UInt64? { ids.last }

    /// Adds a document; ids must ascend.
    public func add(_ doc: Document) {
        precondition(!mergesPostings, "a segment's words come from tokenizing or from merged postings, not both")
        let ord = addStored(doc)

        // The hot tables go to the token loops as inout arguments, one access per document: a
        // loop reading them as properties paid an access check per token, and swapping them
        // into locals allocated seven stand-in buffers a document.
        let tokens = tokenize(doc, ord: ord, batch: &batch)
        SegmentBuilder.invert(batch, doc: ord, terms: &terms, postings: &postings, ids: &termIDs)
        lengths.append(tokens)
        totalTokens += UInt64(tokens)
    }

    /// Adds a document of a merge whose words come from the sources' postings
    /// (`finishImage(merging:)`): its stored fields and attributes only. `length` is its
    /// length in the source (saturated at 65,535, as segments keep it).
    func addMerged(_ doc: Document, length: UInt32) {
        precondition(terms.count == 0, "a segment's words come from tokenizing or from merged postings, not both")
        mergesPostings = true
        let ord = addStored(doc)
        var js = doc.js
        js.withUTF8 { buf in
            let attrs = attributes
            _ = JSONScanner.forEachScalar(UnsafeRawBufferPointer(buf)) { path, scalar in
                SegmentBuilder.addAttribute(path: path, scalar: scalar, doc: ord, to: attrs)
            }
        }
        lengths.append(length)
        totalTokens += UInt64(length)
    }

    /// The doc's id, stored fields and pattern; returns its ordinal.
    private func addStored(_ doc: Document) -> UInt32 {
        precondition(ids.last.map { $0 < doc.id } ?? true, "segment documents must be added in ascending id order")
        let ord = UInt32(ids.count)
        ids.append(doc.id)
        store.add(logline: doc.logline, js: doc.js)
        if let pattern = doc.pattern { addPattern(pattern, doc: ord) }
        return ord
    }

    /// A js scalar as its key's attribute value (booleans as `true`/`false`).
    @inline(__always)
    private static func addAttribute(path: UnsafeRawBufferPointer, scalar: JSONScanner.Scalar, doc: UInt32, to attrs: AttributeTable) {
        let key = attrs.key(path)
        switch scalar {
        case .string(let s):
            attrs.addString(s, key: key, doc: doc)
        case .number(let raw):
            attrs.addNumber(raw, key: key, doc: doc)
        case .bool(let v):
            v
                ? "true".utf8.withContiguousStorageIfAvailable { attrs.addString(UnsafeRawBufferPointer($0), key: key, doc: doc) }
                : "false".utf8.withContiguousStorageIfAvailable { attrs.addString(UnsafeRawBufferPointer($0), key: key, doc: doc) }
        }
    }

    /// The doc's pattern as its `pattern` attribute (the value a js `"pattern":"12"` had in
    /// segments before the id moved beside js), and its bit in `patternDocs`.
    private func addPattern(_ id: UInt32, doc: UInt32) {
        let byte = Int(doc >> 3)
        if patternDocs.count <= byte { patternDocs.append(contentsOf: repeatElement(0, count: byte + 1 - patternDocs.count)) }
        patternDocs[byte] |= 1 << (doc & 7)
        let key = patternKeyID ?? attributes.key(SegmentFormat.patternKeyBytes)
        patternKeyID = key
        // The decimal digits, written backwards into a stack word.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 10) { digits in
            var at = 10
            var rest = id
            repeat {
                at -= 1
                digits[at] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            attributes.addString(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(digits)[at...]), key: key, doc: doc)
        }
    }

    /// Whether a js path is an attribute only, not words: the message pattern's id
    /// (`"pattern":"12"`), which a search for `12` must not find.
    static func isAttributeOnly(_ path: UnsafeRawBufferPointer) -> Bool {
        let key = SegmentFormat.patternKeyBytes
        return path.count == key.count && memcmp(path.baseAddress!, key.baseAddress!, path.count) == 0
    }

    /// Gathers a document's tokens (logline, then each js value) into `b`; returns how many.
    private func tokenize(_ doc: Document, ord: UInt32, batch b: inout TokenBatch) -> UInt32 {
        b.removeAll()
        var tokens: UInt32 = 0
        var logline = doc.logline
        logline.withUTF8 { buf in
            tokens += b.add(UnsafeRawBufferPointer(buf), field: SegmentFormat.Field.logline, firstPosition: 0)
        }
        var jsPosition: UInt32 = 0
        var extraPositions: [UInt8: UInt32] = [:]
        var js = doc.js
        js.withUTF8 { buf in
            let attrs = attributes
            _ = JSONScanner.forEachScalar(UnsafeRawBufferPointer(buf)) { path, scalar in
                SegmentBuilder.addAttribute(path: path, scalar: scalar, doc: ord, to: attrs)
                switch scalar {
                case .string(let s):
                    if !SegmentBuilder.isAttributeOnly(path) {
                        tokens += indexValue(s, path: path, jsPosition: &jsPosition, extraPositions: &extraPositions, batch: &b)
                    }
                case .number(let raw):
                    tokens += indexValue(raw, path: path, jsPosition: &jsPosition, extraPositions: &extraPositions, batch: &b)
                case .bool:
                    break
                }
            }
        }
        return tokens
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
        precondition(!mergesPostings, "a merge's segment is finished with the merged postings")
        var postingBytes = ByteWriter(capacity: postings.poolBytes)
        let dictionary = TermDictionaryWriter.write(terms: terms, postings: postings, into: &postingBytes)
        return finishImage(dictionary: dictionary, postingBytes: &postingBytes)
    }

    /// Serializes a merge's segment (docs added with `addMerged`), its words merged from the
    /// sources' postings; throws when a source is damaged.
    func finishImage(merging merge: PostingsMerge) throws -> UnsafeMutableRawBufferPointer {
        var postingBytes = ByteWriter(capacity: 1 << 20)
        let dictionary = try merge.write(into: &postingBytes)
        return finishImage(dictionary: dictionary, postingBytes: &postingBytes)
    }

    private func finishImage(dictionary: TermDictionaryWriter.Sections, postingBytes: inout ByteWriter) -> UnsafeMutableRawBufferPointer {
        let (attrDir, attrData, tallies, tallyOffsets) = writeAttributes(postings: &postingBytes)
        // An optional section: were it ever to fail, counts decode postings instead.
        let multiField =
            (try? TermDictionaryWriter.multiFieldFrequencies(
                of: dictionary, postings: postingBytes.bytes, fieldCount: 2 + extraFields.count, docCount: ids.count)) ?? []

        var meta = ByteWriter()
        meta.u32(SegmentFormat.version)
        meta.u32(UInt32(ids.count))
        meta.u64(ids.first ?? 0)
        meta.u64(ids.last ?? 0)
        meta.u64(totalTokens)
        meta.varint(2 + extraFields.count)
        for f in SegmentFormat.Field.names + extraFields { meta.string(f) }

        let (idSection, idBytes) = IDColumn.section(for: ids)
        // Ranking needs lengths only roughly: past 65,535 tokens they saturate. A segment of
        // lines under 256 tokens each (nearly every log segment) stores a byte a line.
        let longest = lengths.max() ?? 0
        var lengthBytes = ByteWriter(capacity: ids.count * 2)
        if longest <= UInt32(UInt8.max) {
            for l in lengths { lengthBytes.u8(UInt8(l)) }
        } else {
            for l in lengths { lengthBytes.u16(UInt16(min(l, UInt32(UInt16.max)))) }
        }
        let docStore = store.finish()

        var file = SegmentFileWriter()
        file.add(.meta, meta.take())
        file.add(idSection, idBytes)
        file.add(.lengths, lengthBytes.take())
        file.add(.docStoreIndex, docStore.index)
        file.add(.docStoreData, docStore.data)
        if !docStore.dictionary.isEmpty { file.add(.docStoreDictionary, docStore.dictionary) }
        file.add(.termIndex, dictionary.index)
        file.add(.termData, dictionary.data)
        file.add(.termGramFilters, dictionary.gramFilters)
        file.add(.wordFilter, dictionary.wordFilter)
        file.add(.termFirstPrefixes, dictionary.firstTermPrefixes)
        let prefixSample = TermPrefix.sample(of: dictionary.firstTermPrefixes)
        if !prefixSample.isEmpty { file.add(.termPrefixSample, prefixSample) }
        file.add(.postings, postingBytes.take())
        file.add(.attributes, attrDir)
        file.add(.attributeData, attrData)
        if !multiField.isEmpty { file.add(.multiFieldFrequencies, multiField) }
        file.add(.forwardTallies, tallies)
        file.add(.forwardTallyOffsets, tallyOffsets)
        if !patternDocs.isEmpty {
            patternDocs.append(contentsOf: repeatElement(0, count: (ids.count + 7) / 8 - patternDocs.count))
            file.add(.patternDocs, patternDocs)
        }
        return file.finish()
    }

    private func writeAttributes(postings: inout ByteWriter) -> (
        directory: [UInt8], data: [UInt8], tallies: [UInt8], tallyOffsets: [UInt8]
    ) {
        var dir = ByteWriter()
        var data = ByteWriter()
        var tallies = ByteWriter()
        var tallyOffsets = ByteWriter()
        // In key byte order (what the reader's binary search expects).
        var order: [(prefix: UInt64, key: Int32)] = (0..<attributes.keyCount).map { (AttributeScratch.prefix(attributes.path($0)), Int32($0)) }
        order.sort { a, b in
            a.prefix != b.prefix ? a.prefix < b.prefix : AttributeScratch.compare(attributes.path(Int(a.key)), attributes.path(Int(b.key))) < 0
        }
        dir.varint(order.count)
        let n = ids.count
        let grouped = attributes.grouped()
        let keysWithStrings = (0..<attributes.keyCount).filter { grouped.valueStart[$0 + 1] > grouped.valueStart[$0] }.count
        tallies.varint(keysWithStrings)
        tallyOffsets.u32(UInt32(keysWithStrings))
        var scratch = AttributeScratch()
        for (_, k32) in order {
            let k = Int(k32)
            let acc = AttributeWriter(view: grouped.view(k), table: attributes)
            let path = attributes.path(k)
            dir.varint(path.count)
            dir.append(contentsOf: path)
            let hasStrings = acc.valueCount > 0
            let hasNumbers = !acc.view.numberDocs.isEmpty
            let sparseStrings = hasStrings && AttributeWriter.isSparse(docs: acc.docsWithString, of: n)
            // Flag 8: values in blocks (`AttributeValueBlocks`), as every format-6 segment has;
            // 16: lists without a head (`PostingsFormat`), as from format 7.
            dir.u8((hasStrings ? 1 | 8 | 16 : 0) | (hasNumbers ? 2 : 0) | (sparseStrings ? 4 : 0))
            if hasStrings {
                let encoded = acc.encodeStrings(docCount: n, sparse: sparseStrings, postings: &postings, data: &data, scratch: &scratch)
                dir.varint(encoded.valueCount)
                dir.varint(encoded.offsetsAt)
                dir.varint(encoded.forwardAt)
                dir.u8(encoded.forwardWidth)
                // The key's tally, as `ForwardTally` reads it; none (offset u32.max) for a key
                // that keeps none (`AttributeWriter.keepsTally`).
                if !encoded.tallied {
                    tallyOffsets.u32(.max)
                } else {
                    tallyOffsets.u32(UInt32(tallies.count))
                    tallies.varint(path.count)
                    tallies.append(contentsOf: path)
                    tallies.varint(scratch.counts.count)
                    for r in scratch.counts.indices {
                        tallies.varint(scratch.counts[r])
                        tallies.varint(Int(scratch.newest[r]))
                    }
                }
            }
            if hasNumbers {
                dir.varint(acc.encodeNumbers(docCount: n, data: &data))
            }
        }
        return (dir.take(), data.take(), tallies.take(), tallyOffsets.take())
    }
}
