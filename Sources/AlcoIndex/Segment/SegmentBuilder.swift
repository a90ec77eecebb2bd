/// Builds one immutable segment from documents given in ascending id order, streaming: the
/// doc store is compressed block by block, so only the postings and attributes stay in memory.
public final class SegmentBuilder {
    /// Full-text fields after `logline` and `js`: js columns flagged `indexed`.
    public let extraFields: [String]
    private let extraFieldIndex: [String: UInt8]

    private var ids: [UInt64] = []
    private var lengths: [UInt32] = []
    private var totalTokens: UInt64 = 0

    private var storeBlock = ByteWriter(capacity: SegmentFormat.docStoreBlockBytes + 4096)
    private var storeBlockFirst: UInt32 = 0
    private var storeIndex = ByteWriter()
    private var storeData = ByteWriter()
    private var storeBlocks: UInt32 = 0

    private var terms = TermTable()
    private var occTerm: [UInt32] = []
    private var occDoc: [UInt32] = []
    private var occPos: [UInt32] = []

    private var attributes: [String: AttributeAccumulator] = [:]
    private var keyBuffer = [UInt8](repeating: 0, count: Tokenizer.maxTokenBytes + 8)

    public init(extraFields: [String] = []) {
        self.extraFields = extraFields
        var index: [String: UInt8] = [:]
        for (i, f) in extraFields.enumerated() where i < 200 { index[f] = UInt8(i + 2) }
        extraFieldIndex = index
    }

    public var count: Int { ids.count }
    public var lastID: UInt64? { ids.last }

    /// Adds a document; ids must ascend. `parsed` is the document's js when the caller already
    /// has it (saves parsing again).
    public func add(_ doc: Document, parsed: JSONValue? = nil) {
        precondition(ids.last.map { $0 < doc.id } ?? true, "segment documents must be added in ascending id order")
        let ord = UInt32(ids.count)
        ids.append(doc.id)
        appendToStore(doc)

        var tokens: UInt32 = 0
        var logline = doc.logline
        logline.withUTF8 { buf in
            tokens += index(UnsafeRawBufferPointer(buf), field: SegmentFormat.Field.logline, doc: ord, firstPosition: 0)
        }
        let value = parsed ?? (try? JSONParser.parse(doc.js)) ?? .object([])
        if case .object(let members) = value {
            var position: UInt32 = 0
            var extraPositions: [UInt8: UInt32] = [:]
            for m in members {
                walk(path: m.key, value: m.value, doc: ord, jsPosition: &position,
                     extraPositions: &extraPositions, topKey: m.key, tokens: &tokens)
            }
        }
        lengths.append(tokens)
        totalTokens += UInt64(tokens)
    }

    private func walk(
        path: String, value: JSONValue, doc: UInt32, jsPosition: inout UInt32,
        extraPositions: inout [UInt8: UInt32], topKey: String, tokens: inout UInt32
    ) {
        switch value {
        case .null:
            return
        case .string(let s):
            attribute(path).addString(s, doc: doc)
            indexValue(s, path: path, doc: doc, jsPosition: &jsPosition, extraPositions: &extraPositions, tokens: &tokens)
        case .number(let text):
            let acc = attribute(path)
            acc.addString(text, doc: doc)
            if let d = Double(text) { acc.addNumber(d, doc: doc) }
            indexValue(text, path: path, doc: doc, jsPosition: &jsPosition, extraPositions: &extraPositions, tokens: &tokens)
        case .bool(let b):
            let acc = attribute(path)
            acc.addString(b ? "true" : "false", doc: doc)
            acc.addNumber(b ? 1 : 0, doc: doc)
        case .array(let items):
            for item in items {
                walk(path: path, value: item, doc: doc, jsPosition: &jsPosition,
                     extraPositions: &extraPositions, topKey: topKey, tokens: &tokens)
            }
        case .object(let members):
            for m in members {
                walk(path: path + "." + m.key, value: m.value, doc: doc, jsPosition: &jsPosition,
                     extraPositions: &extraPositions, topKey: topKey, tokens: &tokens)
            }
        }
    }

    private func indexValue(
        _ text: String, path: String, doc: UInt32, jsPosition: inout UInt32,
        extraPositions: inout [UInt8: UInt32], tokens: inout UInt32
    ) {
        var text = text
        text.withUTF8 { buf in
            let raw = UnsafeRawBufferPointer(buf)
            let n = index(raw, field: SegmentFormat.Field.js, doc: doc, firstPosition: jsPosition)
            jsPosition += n + SegmentFormat.valuePositionGap
            tokens += n
            if let f = extraFieldIndex[path] {
                let start = extraPositions[f] ?? 0
                let m = index(raw, field: f, doc: doc, firstPosition: start)
                extraPositions[f] = start + m + SegmentFormat.valuePositionGap
            }
        }
    }

    private func attribute(_ key: String) -> AttributeAccumulator {
        if let a = attributes[key] { return a }
        let a = AttributeAccumulator()
        attributes[key] = a
        return a
    }

    /// Tokenizes `text` into `field`; returns the number of tokens.
    @inline(__always)
    private func index(_ text: UnsafeRawBufferPointer, field: UInt8, doc: UInt32, firstPosition: UInt32) -> UInt32 {
        var n: UInt32 = 0
        keyBuffer.withUnsafeMutableBytes { key in
            key[0] = field
            Tokenizer.forEachToken(text) { tok, pos, _ in
                let len = tok.count
                UnsafeMutableRawBufferPointer(rebasing: key[1..<(1 + len)]).copyMemory(from: tok)
                let id = terms.intern(UnsafeRawBufferPointer(rebasing: key[0..<(1 + len)]))
                occTerm.append(UInt32(id))
                occDoc.append(doc)
                occPos.append(firstPosition + UInt32(pos))
                n += 1
            }
        }
        return n
    }

    private func appendToStore(_ doc: Document) {
        if storeBlock.count == 0 { storeBlockFirst = UInt32(ids.count - 1) }
        storeBlock.string(doc.logline)
        storeBlock.string(doc.js)
        if storeBlock.count >= SegmentFormat.docStoreBlockBytes { flushStoreBlock() }
    }

    private func flushStoreBlock() {
        guard storeBlock.count > 0 else { return }
        let compressed = storeBlock.bytes.withUnsafeBytes { LZ4.compress($0) }
        storeIndex.u32(storeBlockFirst)
        storeIndex.u32(UInt32(storeBlock.count))
        storeIndex.u64(UInt64(storeData.count))
        storeIndex.u32(UInt32(compressed.count))
        storeIndex.u32(0)
        storeData.append(contentsOf: compressed)
        storeBlocks += 1
        storeBlock.reset()
    }

    /// Serializes the segment. The builder is spent afterwards.
    public func finish() -> [UInt8] {
        flushStoreBlock()
        var postings = ByteWriter(capacity: occDoc.count * 3)
        let (termIndex, termData) = writeTerms(postings: &postings)
        let (attrDir, attrData) = writeAttributes(postings: &postings)

        var meta = ByteWriter()
        meta.u32(SegmentFormat.version)
        meta.u32(UInt32(ids.count))
        meta.u64(ids.first ?? 0)
        meta.u64(ids.last ?? 0)
        meta.u64(totalTokens)
        meta.varint(2 + extraFields.count)
        for f in SegmentFormat.Field.names + extraFields { meta.string(f) }

        var idBytes = ByteWriter(capacity: ids.count * 8)
        for id in ids { idBytes.u64(id) }
        var lengthBytes = ByteWriter(capacity: ids.count * 4)
        for l in lengths { lengthBytes.u32(l) }
        var storeHeader = ByteWriter()
        storeHeader.u32(storeBlocks)
        storeHeader.u32(0)
        storeHeader.append(contentsOf: storeIndex.bytes)

        var file = SegmentFileWriter()
        file.add(.meta, meta.take())
        file.add(.ids, idBytes.take())
        file.add(.lengths, lengthBytes.take())
        file.add(.docStoreIndex, storeHeader.take())
        file.add(.docStoreData, storeData.take())
        file.add(.termIndex, termIndex)
        file.add(.termData, termData)
        file.add(.postings, postings.take())
        file.add(.attributes, attrDir)
        file.add(.attributeData, attrData)
        return file.finish()
    }

    /// Groups occurrences by term (a counting sort keeps doc and position order) and writes the
    /// sorted, prefix-compressed dictionary with each term's postings.
    private func writeTerms(postings: inout ByteWriter) -> (index: [UInt8], data: [UInt8]) {
        let nTerms = terms.count
        var start = [Int](repeating: 0, count: nTerms + 1)
        for t in occTerm { start[Int(t) + 1] += 1 }
        for i in 0..<nTerms { start[i + 1] += start[i] }
        var fill = start
        var byTermDoc = [UInt32](repeating: 0, count: occDoc.count)
        var byTermPos = [UInt32](repeating: 0, count: occDoc.count)
        for i in 0..<occTerm.count {
            let t = Int(occTerm[i])
            byTermDoc[fill[t]] = occDoc[i]
            byTermPos[fill[t]] = occPos[i]
            fill[t] += 1
        }
        occTerm = []
        occDoc = []
        occPos = []

        var index = ByteWriter()
        var data = ByteWriter()
        let order = terms.sortedIDs()
        let nBlocks = (order.count + SegmentFormat.termsPerBlock - 1) / SegmentFormat.termsPerBlock
        index.u32(UInt32(nBlocks))
        index.u32(UInt32(order.count))
        var prev: ArraySlice<UInt8> = []
        var docs: [UInt32] = []
        var posStarts: [Int] = []
        for (k, t) in order.enumerated() {
            if k % SegmentFormat.termsPerBlock == 0 {
                index.u64(UInt64(data.count))
                prev = []
            }
            let term = terms.term(t)
            var shared = 0
            let limit = min(prev.count, term.count)
            while shared < limit && prev[prev.startIndex + shared] == term[term.startIndex + shared] { shared += 1 }
            // Collapse this term's occurrences into docs and their position runs.
            docs.removeAll(keepingCapacity: true)
            posStarts.removeAll(keepingCapacity: true)
            let lo = start[t]
            let hi = start[t + 1]
            var i = lo
            while i < hi {
                docs.append(byTermDoc[i])
                posStarts.append(i)
                let d = byTermDoc[i]
                while i < hi && byTermDoc[i] == d { i += 1 }
            }
            posStarts.append(hi)
            data.varint(shared)
            data.varint(term.count - shared)
            data.append(contentsOf: term[(term.startIndex + shared)...])
            data.varint(docs.count)
            data.varint(postings.count)
            docs.withUnsafeBufferPointer { d in
                PostingsWriter.write(docs: d, positions: { j in byTermPos[posStarts[j]..<posStarts[j + 1]] }, to: &postings)
            }
            prev = term
        }
        return (index.take(), data.take())
    }

    private func writeAttributes(postings: inout ByteWriter) -> (directory: [UInt8], data: [UInt8]) {
        var dir = ByteWriter()
        var data = ByteWriter()
        let keys = attributes.keys.sorted()
        dir.varint(keys.count)
        let n = ids.count
        for key in keys {
            let acc = attributes[key]!
            dir.string(key)
            let hasStrings = acc.values.count > 0
            let hasNumbers = !acc.numberDocs.isEmpty
            dir.u8((hasStrings ? 1 : 0) | (hasNumbers ? 2 : 0))
            if hasStrings {
                let encoded = acc.encodeStrings(docCount: n, postings: &postings, data: &data)
                dir.varint(encoded.valueCount)
                dir.varint(encoded.offsetsAt)
                dir.varint(encoded.forwardAt)
                dir.u8(encoded.forwardWidth)
            }
            if hasNumbers {
                data.align(8)
                dir.varint(data.count)
                var column = [Double](repeating: .nan, count: n)
                for (d, v) in zip(acc.numberDocs, acc.numberValues) where column[Int(d)].isNaN { column[Int(d)] = v }
                for v in column { data.f64(v) }
            }
        }
        return (dir.take(), data.take())
    }
}

/// One js key's values while a segment is built.
final class AttributeAccumulator {
    var values = TermTable(capacity: 64)
    var valueOcc: [UInt32] = []
    var docOcc: [UInt32] = []
    var numberDocs: [UInt32] = []
    var numberValues: [Double] = []

    func addString(_ s: String, doc: UInt32) {
        var s = s
        let id = s.withUTF8 { values.intern(UnsafeRawBufferPointer($0)) }
        // A doc may repeat a value (arrays); keep one posting per (value, doc).
        if let last = docOcc.last, last == doc, valueOcc.last == UInt32(id) { return }
        valueOcc.append(UInt32(id))
        docOcc.append(doc)
    }

    func addNumber(_ d: Double, doc: UInt32) {
        numberDocs.append(doc)
        numberValues.append(d)
    }

    /// Writes the sorted value dictionary (with postings) and a bit-packed forward column of
    /// each doc's first value ordinal (0 = none).
    func encodeStrings(docCount n: Int, postings: inout ByteWriter, data: inout ByteWriter)
        -> (valueCount: Int, offsetsAt: Int, forwardAt: Int, forwardWidth: UInt8)
    {
        let order = values.sortedIDs()
        var rank = [UInt32](repeating: 0, count: values.count)
        for (r, id) in order.enumerated() { rank[id] = UInt32(r + 1) }
        // Group docs per value.
        var start = [Int](repeating: 0, count: values.count + 1)
        for v in valueOcc { start[Int(v) + 1] += 1 }
        for i in 0..<values.count { start[i + 1] += start[i] }
        var fill = start
        var docsByValue = [UInt32](repeating: 0, count: docOcc.count)
        for i in 0..<valueOcc.count {
            let v = Int(valueOcc[i])
            docsByValue[fill[v]] = docOcc[i]
            fill[v] += 1
        }
        var entryOffsets: [UInt32] = []
        let blobStart = data.count
        var docs: [UInt32] = []
        for id in order {
            entryOffsets.append(UInt32(data.count - blobStart))
            let v = values.term(id)
            data.varint(v.count)
            data.append(contentsOf: v)
            docs.removeAll(keepingCapacity: true)
            for i in start[id]..<start[id + 1] where docs.last != docsByValue[i] { docs.append(docsByValue[i]) }
            docs.sort()
            var dedup: [UInt32] = []
            dedup.reserveCapacity(docs.count)
            for d in docs where dedup.last != d { dedup.append(d) }
            data.varint(dedup.count)
            data.varint(postings.count)
            dedup.withUnsafeBufferPointer { PostingsWriter.write(docs: $0, positions: nil, to: &postings) }
        }
        data.align(4)
        let offsetsAt = data.count
        data.u32(UInt32(blobStart))
        for o in entryOffsets { data.u32(o) }
        // Forward column: first value per doc, bit-packed.
        var forward = [UInt32](repeating: 0, count: n)
        for i in 0..<valueOcc.count where forward[Int(docOcc[i])] == 0 {
            forward[Int(docOcc[i])] = rank[Int(valueOcc[i])]
        }
        let width = UInt8(max(1, 32 - UInt32(values.count).leadingZeroBitCount))
        data.align(8)
        let forwardAt = data.count
        BitPacking.write(forward, width: Int(width), to: &data)
        return (values.count, offsetsAt, forwardAt, width)
    }
}

extension ByteWriter {
    mutating func align(_ n: Int) {
        while count % n != 0 { u8(0) }
    }
}

/// Assembles sections with alignment, checksums and the table of contents.
struct SegmentFileWriter {
    private var out = ByteWriter()
    private var toc: [(SegmentFormat.Section, UInt32, Int, Int)] = []

    init() { out.append(contentsOf: SegmentFormat.magic) }

    mutating func add(_ section: SegmentFormat.Section, _ bytes: [UInt8]) {
        out.align(8)
        let crc = CRC32C.checksum(bytes)
        toc.append((section, crc, out.count, bytes.count))
        out.append(contentsOf: bytes)
    }

    mutating func finish() -> [UInt8] {
        out.align(8)
        let tocOffset = out.count
        var t = ByteWriter()
        t.u32(UInt32(toc.count))
        t.u32(0)
        for (s, crc, off, len) in toc {
            t.u32(s.rawValue)
            t.u32(crc)
            t.u64(UInt64(off))
            t.u64(UInt64(len))
        }
        let tocBytes = t.take()
        out.append(contentsOf: tocBytes)
        out.u64(UInt64(tocOffset))
        out.u32(UInt32(tocBytes.count))
        out.u32(CRC32C.checksum(tocBytes))
        out.append(contentsOf: SegmentFormat.trailerMagic)
        return out.take()
    }
}

/// Fixed-width bit packing for forward columns (a value ordinal per doc).
enum BitPacking {
    static func write(_ values: [UInt32], width: Int, to out: inout ByteWriter) {
        var acc: UInt64 = 0
        var bits = 0
        for v in values {
            acc |= UInt64(v) << UInt64(bits)
            bits += width
            while bits >= 8 {
                out.u8(UInt8(truncatingIfNeeded: acc))
                acc >>= 8
                bits -= 8
            }
        }
        if bits > 0 { out.u8(UInt8(truncatingIfNeeded: acc)) }
        for _ in 0..<8 { out.u8(0) }  // slack so readers can load 8 bytes at any value
    }

    @inline(__always)
    static func read(_ base: UnsafeRawPointer, index: Int, width: Int) -> UInt32 {
        let bit = index * width
        let word = base.loadUnaligned(fromByteOffset: bit >> 3, as: UInt64.self).littleEndian
        return UInt32(truncatingIfNeeded: (word >> UInt64(bit & 7)) & ((1 << UInt64(width)) - 1))
    }

    static func byteCount(count: Int, width: Int) -> Int { (count * width + 7) / 8 + 8 }
}
