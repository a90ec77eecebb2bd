#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Merges segments' dictionaries and postings into a new segment's without reading their
/// documents' words again: the sources' dictionaries are walked side by side in term order,
/// and each term's lists are decoded, their docs renumbered, and written as one list.
///
/// Each source's docs map to the new segment's ordinals through `newOrdinals`: ascending
/// where given, `PostingsMerge.absent` for a doc the new segment leaves out (deleted, a
/// duplicate id, or gone to another output of the same merge).
struct PostingsMerge {
    static let absent = UInt32.max

    struct Source {
        let reader: SegmentReader
        let newOrdinals: [UInt32]
    }

    let sources: [Source]

    /// Whether `readers` can be merged this way into a segment with `extraFields`: same fields
    /// in the same order (a key flagged `indexed` since needs its words read again) and a
    /// format from `oldestVersion` on (older segments are re-tokenized, so they get today's
    /// tokenizer too).
    static func canMerge(_ readers: [SegmentReader], extraFields: [String]) -> Bool {
        let fields = SegmentFormat.Field.names + extraFields
        return readers.allSatisfy { $0.formatVersion >= oldestVersion && $0.fieldNames == fields }
    }

    /// Format 7 changed how entries and lengths are stored, not what they hold: format 6
    /// postings and positions are today's.
    static let oldestVersion: UInt32 = 6

    /// Writes the merged dictionary (returned) and its postings (appended to `out`). Throws
    /// when a source's dictionary or postings are damaged: nothing written may then be used.
    func write(into out: inout ByteWriter) throws -> TermDictionaryWriter.Sections {
        var cursors = sources.map { TermCursor($0.reader.dictionary) }
        // Sources whose docs come first in the new segment are read first, so a term's lists
        // concatenate in order unless the sources' ids interleave.
        let firstNew = sources.map { $0.newOrdinals.first(where: { $0 != PostingsMerge.absent }) ?? .max }
        let shifts = sources.map(PostingsMerge.shift)
        var heap = CursorHeap()
        for k in cursors.indices where cursors[k].next() { heap.push(k, cursors) }
        var writer = TermDictionaryWriter(expectedTermBytes: 1 << 16)
        var merged = DecodedPostings()
        var scratch = DecodedPostings()
        var blockDocs: [UInt32] = []
        var freqs: [UInt32] = []
        var holding: [Int] = []
        while let top = heap.first {
            // Every source at the smallest term.
            holding.removeAll(keepingCapacity: true)
            holding.append(heap.pop(cursors))
            while let next = heap.first, CursorHeap.compare(cursors[next].term, cursors[top].term) == 0 {
                holding.append(heap.pop(cursors))
            }
            // A term of one source that moved whole: its list copied with its docs moved.
            if holding.count == 1, let shift = shifts[top],
                copy(cursors[top].term, cursors[top].info, from: sources[top].reader, shift: shift, writer: &writer, postings: &out)
            {
                if cursors[top].next() { heap.push(top, cursors) }
                continue
            }
            if holding.count > 1 { holding.sort { firstNew[$0] < firstNew[$1] } }
            merged.removeAll()
            for k in holding {
                try append(sources[k], cursors[k].info, into: &merged, blockDocs: &blockDocs, freqs: &freqs)
            }
            if merged.docs.count > 0 {
                if holding.count > 1 && !PostingsMerge.ascending(merged.docs.buffer) {
                    PostingsMerge.sortByDoc(&merged, scratch: &scratch)
                    swap(&merged, &scratch)
                }
                merged.starts.append(merged.positions.count)
                cursors[top].term.withUnsafeBytes { term in
                    writer.add(
                        term: term, docs: merged.docs.buffer, positions: merged.positions.buffer,
                        starts: merged.starts.buffer, postings: &out)
                }
            }
            for k in holding where cursors[k].next() { heap.push(k, cursors) }
        }
        for (k, cursor) in cursors.enumerated() where cursor.failed {
            try damaged(sources[k].reader, "its term dictionary")
        }
        for source in sources { try source.reader.throwIfDamaged() }
        return writer.finish()
    }

    /// Appends a source's list for one term to `merged`, its docs renumbered (the ones the new
    /// segment leaves out dropped); throws when it does not decode.
    private func append(
        _ source: Source, _ info: TermInfo, into merged: inout DecodedPostings, blockDocs: inout [UInt32],
        freqs: inout [UInt32]
    ) throws {
        let map = source.newOrdinals
        if info.inline {
            // One doc, in the dictionary entry: no list to set up.
            guard PostingsCopy.decodeSingle(source.reader.dictionary.data, at: info.postingsOffset, map: map, into: &merged)
            else { try damaged(source.reader, "a term's postings") }
            return
        }
        let list = try source.reader.postingList(info, caching: false)
        var outOfRange = false
        let intact = list.decodeAll(
            remap: { doc in
                guard Int(doc) < map.count else {
                    outOfRange = true
                    return nil
                }
                let n = map[Int(doc)]
                return n == PostingsMerge.absent ? nil : n
            }, into: &merged, blockDocs: &blockDocs, freqs: &freqs)
        guard intact, !outOfRange else { try damaged(source.reader, "a term's postings") }
    }

    /// How far a source's docs all move when it goes to the new segment whole (every doc, in
    /// order, one after another); nil when some are left out or others come between them.
    private static func shift(_ source: Source) -> UInt32? {
        let map = source.newOrdinals
        guard let base = map.first, base != absent, UInt64(base) + UInt64(map.count) <= UInt64(absent) else { return nil }
        for (o, n) in map.enumerated() where n != base &+ UInt32(truncatingIfNeeded: o) { return nil }
        return base
    }

    /// Writes `cursor`'s term with its list moved by `shift` from the encoded bytes; false
    /// (nothing written) when the list is not in the layout this expects, or fails its page
    /// check: decoding it then decides.
    private func copy(
        _ term: [UInt8], _ info: TermInfo, from reader: SegmentReader, shift: UInt32, writer: inout TermDictionaryWriter,
        postings out: inout ByteWriter
    ) -> Bool {
        if info.inline {
            guard let single = PostingsCopy.single(reader.dictionary.data, at: info.postingsOffset, shift: shift) else { return false }
            term.withUnsafeBytes { writer.addSingle(term: $0, doc: single.doc, encodedPositions: single.positions) }
            return true
        }
        guard
            let list = PostingsCopy.List(
                reader.postings, at: info.postingsOffset, docFreq: info.docFreq, headed: reader.formatVersion < 7, shift: shift,
                pages: reader.pages)
        else { return false }
        term.withUnsafeBytes { term in
            writer.addList(term: term, docFreq: info.docFreq, postings: &out) { list.write(to: &$0) }
        }
        return true
    }

    /// Throws the source's recorded damage, or (checksums intact) that `what` does not decode.
    private func damaged(_ reader: SegmentReader, _ what: String) throws -> Never {
        try reader.throwIfDamaged()
        throw AlcoError.corruptSegment(name: reader.name, reason: "\(what) does not decode")
    }

    private static func ascending(_ docs: UnsafeBufferPointer<UInt32>) -> Bool {
        for k in docs.indices.dropFirst() where docs[k] <= docs[k - 1] { return false }
        return true
    }

    /// `list`'s docs (with their positions) in ascending order, into `out`: sources whose ids
    /// interleave each gave an ascending run.
    private static func sortByDoc(_ list: inout DecodedPostings, scratch out: inout DecodedPostings) {
        let n = list.docs.count
        list.starts.append(list.positions.count)
        let docs = list.docs.buffer
        let order = (0..<n).sorted { docs[$0] < docs[$1] }
        out.removeAll()
        for i in order {
            out.docs.append(docs[i])
            out.starts.append(out.positions.count)
            for k in list.starts[i]..<list.starts[i + 1] { out.positions.append(list.positions[k]) }
        }
    }
}

/// A posting list whose docs all move by one number, re-encoded from its bytes: the writer
/// stores gaps, so only a list's first doc and its first block's header change (that block's
/// doc bytes by as much as the first doc's varint grows). The same bytes `PostingsWriter`
/// writes for the moved docs, without decoding a doc or a position.
enum PostingsCopy {
    /// The one-document list of a dictionary entry at `offset`: its moved doc, and its
    /// frequency and position gaps as encoded; nil when they do not parse.
    static func single(_ data: UnsafeRawBufferPointer, at offset: Int, shift: UInt32) -> (doc: UInt32, positions: UnsafeRawBufferPointer)? {
        var r = ByteReader(data, offset: offset)
        guard let doc = try? r.varint(), doc + UInt64(shift) < UInt64(PostingsMerge.absent) else { return nil }
        let start = r.offset
        guard let freq = try? r.varint(), freq >= 1, freq <= UInt64(PostingsFormat.maxFrequency) else { return nil }
        for _ in 0..<freq where (try? r.varint()) == nil { return nil }
        return (UInt32(doc) + shift, UnsafeRawBufferPointer(rebasing: data[start..<r.offset]))
    }

    /// Appends the one-document list of a dictionary entry at `offset` to `out`, its doc
    /// renumbered through `map` (left out when absent there); false when it does not parse.
    static func decodeSingle(
        _ data: UnsafeRawBufferPointer, at offset: Int, map: [UInt32], into out: inout DecodedPostings
    ) -> Bool {
        var r = ByteReader(data, offset: offset)
        guard let doc = try? r.varint(), doc < UInt64(map.count) else { return false }
        let n = map[Int(doc)]
        guard n != PostingsMerge.absent else { return true }
        guard let freq = try? r.varint(), freq >= 1, freq <= UInt64(PostingsFormat.maxFrequency) else { return false }
        out.docs.append(n)
        out.starts.append(out.positions.count)
        var position: UInt32 = 0
        for _ in 0..<freq {
            guard let gap = try? r.varint() else { return false }
            position &+= UInt32(truncatingIfNeeded: gap)
            out.positions.append(position)
        }
        return true
    }

    /// A list of the postings section, parsed as far as moving it needs.
    struct List {
        let bytes: UnsafeRawBufferPointer
        let firstLast: UInt64
        let firstDocBytes: Int
        let firstPositionBytes: Int
        /// The headers of the blocks after the first, unchanged.
        let laterHeaders: Range<Int>
        let firstDoc: UInt64
        /// Everything after the first doc: the rest of the first block, the later blocks.
        let rest: Range<Int>
        let shift: UInt32

        /// Nil when the list is not packed with positions and more than one doc, does not fit
        /// its section, or fails its page check (recorded as the segment's damage). A `headed`
        /// list (before format 7) starts with its doc count and flags.
        init?(_ bytes: UnsafeRawBufferPointer, at offset: Int, docFreq: Int, headed: Bool, shift: UInt32, pages: PageVerifier?) {
            var r = ByteReader(bytes, offset: offset)
            if headed {
                guard let n = try? r.varintInt(), n == docFreq, let flags = try? r.varint(),
                    flags == PostingsFormat.hasPositions | PostingsFormat.packed
                else { return nil }
            }
            let n = docFreq
            guard n > 1 else { return nil }
            let blocks = n / PostingsFormat.blockSize + (n % PostingsFormat.blockSize == 0 ? 0 : 1)
            guard blocks <= (bytes.count - r.offset) / 3 else { return nil }
            guard let last = try? r.varint(), let docBytes = try? r.varintInt(), let positionBytes = try? r.varintInt(),
                docBytes <= bytes.count, positionBytes <= bytes.count
            else { return nil }
            let laterStart = r.offset
            var body = docBytes + positionBytes
            for _ in 1..<blocks {
                guard (try? r.varint()) != nil, let d = try? r.varintInt(), let p = try? r.varintInt(),
                    d <= bytes.count, p <= bytes.count, body <= bytes.count
                else { return nil }
                body += d + p
            }
            let headersEnd = r.offset
            guard body <= bytes.count - headersEnd else { return nil }
            if let pages, !pages.check(bytes.baseAddress! + offset, count: headersEnd + body - offset) { return nil }
            guard let first = try? r.varint(), r.offset - headersEnd <= docBytes,
                last + UInt64(shift) < UInt64(PostingsMerge.absent), first + UInt64(shift) < UInt64(PostingsMerge.absent)
            else { return nil }
            self.bytes = bytes
            firstLast = last
            firstDocBytes = docBytes - (r.offset - headersEnd)
            firstPositionBytes = positionBytes
            laterHeaders = laterStart..<headersEnd
            firstDoc = first
            rest = r.offset..<(headersEnd + body)
            self.shift = shift
        }

        /// Writes the moved list without a head (format 7).
        func write(to out: inout ByteWriter) {
            out.varint(firstLast + UInt64(shift))
            let movedFirst = firstDoc + UInt64(shift)
            out.varint(firstDocBytes + PostingsCopy.varintLength(movedFirst))
            out.varint(firstPositionBytes)
            out.append(UnsafeRawBufferPointer(rebasing: bytes[laterHeaders]))
            out.varint(movedFirst)
            out.append(UnsafeRawBufferPointer(rebasing: bytes[rest]))
        }
    }

    static func varintLength(_ v: UInt64) -> Int {
        var n = 1
        var rest = v >> 7
        while rest > 0 {
            n += 1
            rest >>= 7
        }
        return n
    }
}

/// A binary min-heap of cursor numbers, ordered by their current terms.
private struct CursorHeap {
    private var items: [Int] = []

    var first: Int? { items.first }

    static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        let n = min(a.count, b.count)
        let c = a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in n == 0 ? 0 : memcmp(pa.baseAddress!, pb.baseAddress!, n) } }
        return c != 0 ? Int(c) : a.count - b.count
    }

    private static func less(_ a: Int, _ b: Int, _ cursors: [TermCursor]) -> Bool {
        let c = compare(cursors[a].term, cursors[b].term)
        return c != 0 ? c < 0 : a < b
    }

    mutating func push(_ k: Int, _ cursors: [TermCursor]) {
        items.append(k)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard CursorHeap.less(items[i], items[parent], cursors) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop(_ cursors: [TermCursor]) -> Int {
        let top = items[0]
        let last = items.removeLast()
        guard !items.isEmpty else { return top }
        items[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var smallest = i
            if l < items.count && CursorHeap.less(items[l], items[smallest], cursors) { smallest = l }
            if r < items.count && CursorHeap.less(items[r], items[smallest], cursors) { smallest = r }
            guard smallest != i else { return top }
            items.swapAt(i, smallest)
            i = smallest
        }
    }
}
