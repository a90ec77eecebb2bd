/// Memory that backs a segment: a mapped file or, for sealed in-memory segments, the heap.
public final class SegmentStorage: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    private let mapped: MappedFile?
    private let heap: UnsafeMutableRawBufferPointer?

    public init(mapped: MappedFile) {
        self.mapped = mapped
        self.heap = nil
        self.bytes = mapped.bytes
    }

    /// Takes ownership of a buffer from `SegmentBuilder.finishImage()`.
    public init(adopting buffer: UnsafeMutableRawBufferPointer) {
        self.heap = buffer
        self.mapped = nil
        self.bytes = UnsafeRawBufferPointer(buffer)
    }

    public init(copying data: [UInt8]) {
        let h = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 16)
        data.withUnsafeBytes { h.copyMemory(from: $0) }
        self.heap = h
        self.mapped = nil
        self.bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(h)[0..<data.count])
    }

    deinit { heap?.deallocate() }

    /// See `MappedFile.releaseResidentPages`; heap storage is left alone.
    func releaseResidentPages() { mapped?.releaseResidentPages() }
}

/// Reads an immutable segment: ids, term dictionary, postings, doc store and js attributes.
/// Opening verifies every section's checksum, so a corrupt segment is reported, never served.
public final class SegmentReader: @unchecked Sendable {
    public let name: String
    public let storage: SegmentStorage
    public let docCount: Int
    public let minID: UInt64
    public let maxID: UInt64
    public let totalTokens: UInt64
    public let fieldNames: [String]
    /// Never reused by another reader, so caches can key on it safely.
    let uniqueID = SegmentReader.makeUniqueID()

    private static let idLock = ConditionLock()
    nonisolated(unsafe) private static var lastID: UInt64 = 0
    private static func makeUniqueID() -> UInt64 {
        idLock.withLock {
            lastID += 1
            return lastID
        }
    }

    let ids: IDColumn.Reader
    /// Tokens per document, for ranking: 16-bit (saturated) from format 2, 32-bit before.
    let lengths: UnsafeRawBufferPointer
    let lengthsAreShort: Bool
    let store: DocStoreReader
    let termIndex: UnsafeRawBufferPointer
    let termData: UnsafeRawBufferPointer
    /// Format 2 on: one-document terms' postings are in their entries, offsets are deltas.
    let inlineSingles: Bool
    let termBlockCount: Int
    public let termCount: Int
    let postings: UnsafeRawBufferPointer
    private let longLists = PostingListCache()
    let attributes: AttributeDirectory
    /// Docs having a term in any text field, for frequent terms found in several fields
    /// (absent in segments written before it existed: those counts decode postings).
    let multiFieldDocFreq: [[UInt8]: Int]
    /// Per dictionary block, the Bloom filter of its terms' grams (nil in older segments).
    let gramFilters: UnsafePointer<UInt8>?
    /// Bytes per section, for `alco index inspect` and the benchmark's disk report.
    public private(set) var sectionSizes: [String: Int] = [:]

    public init(name: String, storage: SegmentStorage) throws {
        self.name = name
        self.storage = storage
        let b = storage.bytes
        func corrupt(_ why: String) -> AlcoError { AlcoError.corruptSegment(name: name, reason: why) }
        guard b.count >= SegmentFormat.magic.count + SegmentFormat.trailerSize,
            b.prefix(8).elementsEqual(SegmentFormat.magic)
        else { throw corrupt("bad header") }
        var t = ByteReader(b, offset: b.count - SegmentFormat.trailerSize)
        let tocOffset = Int(try t.u64())
        let tocLength = Int(try t.u32())
        let tocCRC = try t.u32()
        guard b.suffix(8).elementsEqual(SegmentFormat.trailerMagic) else { throw corrupt("bad trailer") }
        guard tocOffset >= 8, tocOffset + tocLength <= b.count - SegmentFormat.trailerSize else {
            throw corrupt("table of contents out of range")
        }
        let tocBytes = UnsafeRawBufferPointer(rebasing: b[tocOffset..<(tocOffset + tocLength)])
        guard CRC32C.checksum(tocBytes) == tocCRC else { throw corrupt("table of contents checksum mismatch") }
        var r = ByteReader(tocBytes)
        let n = Int(try r.u32())
        _ = try r.u32()
        var sections: [UInt32: UnsafeRawBufferPointer] = [:]
        for _ in 0..<n {
            let id = try r.u32()
            let crc = try r.u32()
            let off = Int(try r.u64())
            let len = Int(try r.u64())
            guard off >= 0, len >= 0, off + len <= tocOffset else { throw corrupt("section \(id) out of range") }
            let s = UnsafeRawBufferPointer(rebasing: b[off..<(off + len)])
            guard CRC32C.checksum(s) == crc else { throw corrupt("section \(id) checksum mismatch") }
            sections[id] = s
            if let kind = SegmentFormat.Section(rawValue: id) { sectionSizes["\(kind)", default: 0] += len }
        }
        func section(_ s: SegmentFormat.Section) throws -> UnsafeRawBufferPointer {
            guard let v = sections[s.rawValue] else { throw corrupt("missing section \(s)") }
            return v
        }
        do {
            var m = ByteReader(try section(.meta))
            let version = try m.u32()
            guard (SegmentFormat.oldestReadableVersion...SegmentFormat.version).contains(version) else {
                throw corrupt("unsupported version \(version)")
            }
            inlineSingles = version >= 2
            docCount = Int(try m.u32())
            minID = try m.u64()
            maxID = try m.u64()
            totalTokens = try m.u64()
            let nf = try m.varintInt()
            var names: [String] = []
            for _ in 0..<nf { names.append(try m.string()) }
            fieldNames = names

            if let packedIDs = sections[SegmentFormat.Section.packedIDs.rawValue] {
                ids = try IDColumn.Reader(packed: packedIDs, docCount: docCount)
            } else {
                ids = try IDColumn.Reader(raw: try section(.ids), docCount: docCount)
            }
            let lenSection = try section(.lengths)
            let lengthBytes = version >= 2 ? 2 : 4
            guard lenSection.count == docCount * lengthBytes else { throw corrupt("length column has the wrong size") }
            lengths = lenSection
            lengthsAreShort = version >= 2
            store = try DocStoreReader(index: try section(.docStoreIndex), data: try section(.docStoreData),
                                       dictionary: sections[SegmentFormat.Section.docStoreDictionary.rawValue],
                                       docCount: docCount)
            termIndex = try section(.termIndex)
            termData = try section(.termData)
            var ti = ByteReader(termIndex)
            termBlockCount = Int(try ti.u32())
            termCount = Int(try ti.u32())
            guard termIndex.count == 8 + termBlockCount * 8 else { throw corrupt("term index has the wrong size") }
            postings = try section(.postings)
            attributes = try AttributeDirectory(directory: try section(.attributes), data: try section(.attributeData),
                                                tallies: sections[SegmentFormat.Section.forwardTallies.rawValue],
                                                docCount: docCount)
            if let bytes = sections[SegmentFormat.Section.multiFieldFrequencies.rawValue] {
                multiFieldDocFreq = try SegmentReader.readMultiFieldFrequencies(bytes, docCount: docCount)
            } else {
                multiFieldDocFreq = [:]
            }
            if let grams = sections[SegmentFormat.Section.termGramFilters.rawValue] {
                var g = ByteReader(grams)
                let blocks = Int(try g.u32())
                let width = Int(try g.u32())
                guard blocks == termBlockCount, width == GramFilter.bytes, grams.count == 8 + blocks * width else {
                    throw DecodeError("term gram filters do not fit the dictionary")
                }
                gramFilters = grams.baseAddress!.assumingMemoryBound(to: UInt8.self) + 8
            } else {
                gramFilters = nil
            }
        } catch let e as DecodeError {
            throw corrupt(e.description)
        }
        // Checking every section's checksum read the whole file; keep none of it resident.
        storage.releaseResidentPages()
    }

    private static func readMultiFieldFrequencies(_ bytes: UnsafeRawBufferPointer, docCount: Int) throws -> [[UInt8]: Int] {
        var r = ByteReader(bytes)
        let n = try r.varintInt()
        guard n <= bytes.count else { throw DecodeError("\(n) multi-field frequencies in \(bytes.count) bytes") }
        var out: [[UInt8]: Int] = [:]
        out.reserveCapacity(n)
        for _ in 0..<n {
            let term = Array(try r.bytes(try r.varintInt()))
            let docs = try r.varintInt()
            guard docs <= docCount else { throw DecodeError("a term in \(docs) of \(docCount) docs") }
            out[term] = docs
        }
        return out
    }

    /// Docs with `word` in any text field, when the segment stored that count.
    func docFreqInAnyField(_ word: [UInt8]) -> Int? { multiFieldDocFreq[word] }

    // MARK: ids

    @inline(__always)
    public func id(_ ord: UInt32) -> UInt64 { ids.id(Int(ord)) }

    /// The first ordinal whose id is >= `id`.
    public func lowerBound(id: UInt64) -> UInt32 {
        var lo = 0
        var hi = docCount
        while lo < hi {
            let mid = (lo + hi) / 2
            if ids.id(mid) < id { lo = mid + 1 } else { hi = mid }
        }
        return UInt32(lo)
    }

    /// The ordinal of `id`, if present.
    public func ordinal(of id: UInt64) -> UInt32? {
        let o = lowerBound(id: id)
        return Int(o) < docCount && ids.id(Int(o)) == id ? o : nil
    }

    /// Ordinals whose ids fall in `range`.
    public func ordinals(in range: ClosedRange<UInt64>) -> Range<UInt32> {
        let lo = lowerBound(id: range.lowerBound)
        let hi = range.upperBound == .max ? UInt32(docCount) : lowerBound(id: range.upperBound + 1)
        return lo..<max(lo, hi)
    }

    public func length(_ ord: UInt32) -> UInt32 {
        lengthsAreShort
            ? UInt32(lengths.loadUnaligned(fromByteOffset: Int(ord) * 2, as: UInt16.self).littleEndian)
            : lengths.loadUnaligned(fromByteOffset: Int(ord) * 4, as: UInt32.self).littleEndian
    }

    public var averageLength: Double { docCount == 0 ? 1 : max(1, Double(totalTokens) / Double(docCount)) }

    public func fieldID(_ name: String) -> UInt8? {
        fieldNames.firstIndex(of: name).map { UInt8($0) }
    }

    // MARK: documents

    public func document(_ ord: UInt32, cache: DocStoreCache? = nil) throws -> Document {
        let (logline, js) = try store.fields(Int(ord), cache: cache, segment: uniqueID)
        return Document(id: ids.id(Int(ord)), logline: logline, js: js)
    }

    public func logline(_ ord: UInt32, cache: DocStoreCache? = nil) throws -> String {
        try store.fields(Int(ord), cache: cache, segment: uniqueID).logline
    }

    // MARK: terms

    /// Reads the term dictionary entry whose key (field byte + folded term) equals `key`.
    public func lookup(_ key: [UInt8]) -> TermInfo? {
        guard termBlockCount > 0 else { return nil }
        // Binary search the blocks by their first term (stored whole).
        var lo = 0
        var hi = termBlockCount
        while lo < hi {
            let mid = (lo + hi) / 2
            if compare(firstTermOfBlock(mid), key) <= 0 { lo = mid + 1 } else { hi = mid }
        }
        let block = lo - 1
        guard block >= 0 else { return nil }
        var found: TermInfo?
        scanBlock(block) { term, info in
            let c = compare(term, key)
            if c == 0 { found = info }
            return c < 0
        }
        return found
    }

    /// Every term of `field` that starts with `prefix`, in order.
    public func terms(field: UInt8, prefix: [UInt8], limit: Int = .max, _ body: (UnsafeRawBufferPointer, TermInfo) -> Void) {
        guard termBlockCount > 0 else { return }
        let key = [field] + prefix
        var block = blockWhereTermsFrom(key)
        var emitted = 0
        var done = false
        while block < termBlockCount && !done {
            scanBlock(block) { term, info in
                if compare(term, key) < 0 { return true }
                if term.count < key.count || memcmp(term.baseAddress!, key, key.count) != 0 {
                    done = true
                    return false
                }
                body(UnsafeRawBufferPointer(rebasing: term[1...]), info)
                emitted += 1
                if emitted >= limit { done = true; return false }
                return true
            }
            block += 1
        }
    }

    /// Every term of `field` (for infix scans).
    public func allTerms(field: UInt8, _ body: (UnsafeRawBufferPointer, TermInfo) -> Void) {
        terms(field: field, prefix: [], body)
    }

    /// Terms of `field` that contain `needle` (or, with `suffixOnly`, end with it), in order,
    /// up to `limit`; with `includingCutWords`, also every word cut at the token limit (a match
    /// may straddle the cut). One pass over the dictionary bytes: blocks whose gram filter
    /// rules the needle out are stepped over, and a term is searched only where it differs
    /// from the previous one unless that one matched (the shared part was searched already).
    public func terms(field: UInt8, containing needle: [UInt8], suffixOnly: Bool = false, includingCutWords: Bool = false,
                      limit: Int = .max, _ body: (UnsafeRawBufferPointer, TermInfo) -> Void) {
        guard termBlockCount > 0 else { return }
        // Blocks holding a cut word have every filter bit set, so filtering never hides one.
        let required = GramFilter.required(needle)
        let filters = required.isEmpty ? nil : gramFilters
        var block = blockWhereTermsFrom([field])
        var i = blockOffset(block)
        var blockEnd = blockOffset(block + 1)
        let end = termData.count
        let data = termData.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var emitted = 0
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { scratch in
            let term = scratch.baseAddress!
            needle.withUnsafeBufferPointer { nb in
                let n = nb.baseAddress ?? UnsafePointer(term)
                let nc = nb.count
                var previousMatched = true
                var previousOffset = 0
                while i < end {
                    if i >= blockEnd {
                        block += 1
                        if let filters {
                            while block < termBlockCount && !GramFilter.mayContain(filters + block * GramFilter.bytes, required) {
                                block += 1
                            }
                            guard block < termBlockCount else { return }
                            i = blockOffset(block)
                        }
                        blockEnd = blockOffset(block + 1)
                        previousOffset = 0
                    }
                    let shared = Int(readVarint32(data, &i))
                    let suffixLen = Int(readVarint32(data, &i))
                    guard shared + suffixLen <= scratch.count, i + suffixLen <= end else { return }
                    (term + shared).update(from: data + i, count: suffixLen)
                    i += suffixLen
                    let df = Int(truncatingIfNeeded: readVarint64(data, &i))
                    let info = readPostingsReference(df: df, data, &i, previous: &previousOffset)
                    let len = shared + suffixLen
                    guard len > 0 else { continue }
                    if term[0] < field { continue }
                    if term[0] > field { return }
                    let word = term + 1
                    let wordLen = len - 1
                    let matched: Bool
                    if suffixOnly {
                        matched = wordLen >= nc && memcmp(word + wordLen - nc, n, nc) == 0
                    } else {
                        // Without a match in the previous term, one here must reach past the shared part.
                        let from = previousMatched ? 0 : max(0, shared - nc)
                        matched = findInShort(word + from, wordLen - from, n, nc)
                        previousMatched = matched
                    }
                    if matched || (includingCutWords && wordLen >= Tokenizer.maxTokenBytes) {
                        body(UnsafeRawBufferPointer(start: word, count: wordLen), info)
                        emitted += 1
                        if emitted >= limit { return }
                    }
                }
            }
        }
    }

    /// The block where terms from `key` on may start: the last one whose first term is below it.
    private func blockWhereTermsFrom(_ key: [UInt8]) -> Int {
        var lo = 0
        var hi = termBlockCount
        while lo < hi {
            let mid = (lo + hi) / 2
            if compare(firstTermOfBlock(mid), key) < 0 { lo = mid + 1 } else { hi = mid }
        }
        return max(0, lo - 1)
    }

    /// Where block `b`'s terms start in `termData` (its end for `b == termBlockCount`).
    private func blockOffset(_ b: Int) -> Int {
        b < termBlockCount ? Int(termIndex.loadUnaligned(fromByteOffset: 8 + b * 8, as: UInt64.self).littleEndian) : termData.count
    }

    private func firstTermOfBlock(_ b: Int) -> UnsafeRawBufferPointer {
        var r = ByteReader(termData, offset: blockOffset(b))
        _ = try? r.varint()  // shared = 0
        let len = (try? r.varintInt()) ?? 0
        return (try? r.bytes(len)) ?? UnsafeRawBufferPointer(start: nil, count: 0)
    }

    /// Walks the terms of block `b`; `body` returns false to stop.
    private func scanBlock(_ b: Int, _ body: (UnsafeRawBufferPointer, TermInfo) -> Bool) {
        let end = blockOffset(b + 1)
        var r = ByteReader(termData, offset: blockOffset(b))
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { scratch in
            var len = 0
            var previousOffset = 0
            while r.offset < end {
                guard let shared = try? r.varintInt(), let suffixLen = try? r.varintInt(),
                    let suffix = try? r.bytes(suffixLen), let df = try? r.varintInt(),
                    shared + suffixLen <= scratch.count, r.offset < end
                else { return }
                var at = r.offset
                let info = readPostingsReference(df: df, termData.baseAddress!.assumingMemoryBound(to: UInt8.self), &at,
                                                 previous: &previousOffset)
                guard at <= end, (try? r.skip(at - r.offset)) != nil else { return }
                len = shared
                UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(scratch)[len..<(len + suffixLen)]).copyMemory(from: suffix)
                len += suffixLen
                let term = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(scratch)[0..<len])
                if !body(term, info) { return }
            }
        }
    }

    @inline(__always)
    private func compare(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Int {
        let n = min(a.count, b.count)
        if n > 0 {
            let c = b.withUnsafeBytes { memcmp(a.baseAddress!, $0.baseAddress!, n) }
            if c != 0 { return Int(c) }
        }
        return a.count - b.count
    }

    /// Reads what follows a dictionary entry's doc count at `i`: the term's postings held in
    /// the entry (one document, format 2) or a postings offset (a delta from the block's
    /// previous one in format 2), leaving `i` after it.
    @inline(__always)
    private func readPostingsReference(df: Int, _ data: UnsafePointer<UInt8>, _ i: inout Int, previous: inout Int) -> TermInfo {
        guard inlineSingles else { return TermInfo(docFreq: df, postingsOffset: Int(truncatingIfNeeded: readVarint64(data, &i))) }
        if df == 1 {
            let at = i
            _ = readVarint64(data, &i)
            let freq = readVarint64(data, &i)
            for _ in 0..<min(freq, UInt64(termData.count)) { _ = readVarint64(data, &i) }
            return TermInfo(docFreq: 1, postingsOffset: at, inline: true)
        }
        previous &+= Int(truncatingIfNeeded: readVarint64(data, &i))
        return TermInfo(docFreq: df, postingsOffset: previous)
    }

    public func postingList(_ info: TermInfo) throws -> PostingList {
        if info.inline { return try PostingList(single: termData, offset: info.postingsOffset, hasPositions: true) }
        return try postingList(at: info.postingsOffset, docFreq: info.docFreq)
    }

    /// The list at `offset` of the postings section; a long one's headers are parsed once.
    private func postingList(at offset: Int, docFreq: Int) throws -> PostingList {
        if docFreq >= PostingListCache.minimumDocs {
            return try longLists.list(at: offset) { try PostingList(bytes: postings, offset: offset) }
        }
        return try PostingList(bytes: postings, offset: offset)
    }

    /// The docs whose `attribute` has `value`, nil when no doc has it.
    func postingList(of attribute: AttributeReader, value: String) throws -> PostingList? {
        guard let rank = attribute.rank(of: value) else { return nil }
        let entry = attribute.value(rank)
        return try postingList(at: entry.postingsOffset, docFreq: entry.docFreq)
    }

    public func attribute(_ key: String) -> AttributeReader? { attributes.reader(key) }
    public var attributeKeys: [String] { attributes.keys }
}

public struct TermInfo: Sendable {
    public let docFreq: Int
    /// In the postings section, or in the dictionary's bytes when `inline`.
    public let postingsOffset: Int
    public var inline = false
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
