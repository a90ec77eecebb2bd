import Synchronization

/// Memory that backs a segment: a mapped file or, for sealed in-memory segments, the heap.
public final class SegmentStorage: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    private let mapped: MappedFile?
    private let heap: UnsafeMutableRawBufferPointer?

    /// A mapped file is checked page by page as it is read; a heap image (just built here, or
    /// given whole) is checked whole when opened.
    var isMapped: Bool { mapped != nil }

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

    /// See `MappedFile.adviseRandomAccess`.
    func adviseRandomAccess() { mapped?.adviseRandomAccess() }

    /// Asks for the whole file (see `MappedFile.willNeed`).
    func willNeedAll() { mapped?.willNeed(0..<bytes.count) }
}

/// Reads an immutable segment: ids, term dictionary, postings, doc store and js attributes.
/// Opening a mapped segment of format 4 reads its table of contents, page checksum header and
/// the small sections it indexes; every other byte is checked against its page's checksum
/// when a query first reads it (`PageVerifier`), and a damaged page fails the query with the
/// segment's name (`throwIfDamaged`). Older segments, and heap images, are checked whole here.
public final class SegmentReader: @unchecked Sendable {
    public let name: String
    public let storage: SegmentStorage
    public let docCount: Int
    public let minID: UInt64
    public let maxID: UInt64
    public let totalTokens: UInt64
    public let fieldNames: [String]
    /// The `SegmentFormat.version` it was written in.
    public let formatVersion: UInt32
    /// Every field's number (what a word without a field limit looks up), made once.
    let allFieldIDs: [UInt8]
    /// Never reused by another reader, so caches can key on it safely.
    let uniqueID = SegmentReader.makeUniqueID()

    private static let lastID = Atomic<UInt64>(0)
    private static func makeUniqueID() -> UInt64 {
        lastID.wrappingAdd(1, ordering: .relaxed).newValue
    }

    let ids: IDColumn.Reader
    /// Tokens per document, for ranking: 16-bit (saturated) from format 2, 32-bit before; from
    /// format 7 a byte each when every length fits one (the section's size says which).
    let lengths: UnsafeRawBufferPointer
    /// Bytes per length: 1, 2 or 4.
    let lengthWidth: Int
    let store: DocStoreReader
    let dictionary: TermDictionaryReader
    let postings: UnsafeRawBufferPointer
    private let longLists = PostingListCache()
    let attributes: AttributeDirectory
    /// Docs having a term in any text field, for frequent terms found in several fields
    /// (absent in segments written before it existed: those counts decode postings).
    let multiFieldDocFreq: [WordKey: Int]
    /// Every word of the dictionary, whatever its field (nil in segments written before it).
    private let wordFilter: WordFilter.Reader?
    /// A bit per doc whose pattern is its `pattern` attribute rather than in its js
    /// (`SegmentFormat.Section.patternDocs`), and that attribute; nil in segments without.
    private let patternDocs: UnsafeRawBufferPointer?
    private let patternAttribute: AttributeReader?
    /// Bytes per section, for `alco index inspect` and the benchmark's disk report.
    public private(set) var sectionSizes: [String: Int] = [:]

    /// - Parameter checkingPagesOnUse: whether pages are checked as read (default: for mapped
    ///   files) rather than every section now; only format 4 has page checksums.
    public init(name: String, storage: SegmentStorage, checkingPagesOnUse: Bool? = nil) throws {
        self.name = name
        self.storage = storage
        func corrupt(_ why: String) -> AlcoError { AlcoError.corruptSegment(name: name, reason: why) }
        var file: SegmentFileReader
        let pages: PageVerifier?
        do {
            file = try SegmentFileReader(storage.bytes, checkingSections: false)
            if checkingPagesOnUse ?? storage.isMapped, let table = file.sections[SegmentFormat.Section.pageChecksums.rawValue] {
                pages = try PageVerifier(section: table, file: storage.bytes, segmentName: name, readsAhead: true)
                // What a query reads is a few pages here and there; longer reads ask for
                // their range (the verifier does, before checking it).
                storage.adviseRandomAccess()
            } else {
                pages = nil
                storage.willNeedAll()  // checked whole, in one pass
                file = try SegmentFileReader(storage.bytes)
            }
        } catch let e as DecodeError {
            throw corrupt(e.description)
        }
        let sections = file.sections
        sectionSizes = file.sizes
        self.pages = pages
        func section(_ s: SegmentFormat.Section) throws -> UnsafeRawBufferPointer {
            guard let v = sections[s.rawValue] else { throw corrupt("missing section \(s)") }
            return v
        }
        do {
            try pages?.require(try section(.meta))
            var m = ByteReader(try section(.meta))
            let version = try m.u32()
            guard (SegmentFormat.oldestReadableVersion...SegmentFormat.version).contains(version) else {
                throw corrupt("unsupported version \(version)")
            }
            formatVersion = version
            docCount = Int(try m.u32())
            minID = try m.u64()
            maxID = try m.u64()
            totalTokens = try m.u64()
            let nf = try m.varintInt()
            var names: [String] = []
            for _ in 0..<nf { names.append(try m.string()) }
            fieldNames = names
            allFieldIDs = names.indices.map { UInt8(truncatingIfNeeded: $0) }

            if let packedIDs = sections[SegmentFormat.Section.packedIDs.rawValue] {
                ids = try IDColumn.Reader(packed: packedIDs, docCount: docCount, pages: pages)
            } else {
                ids = try IDColumn.Reader(raw: try section(.ids), docCount: docCount)
            }
            let lenSection = try section(.lengths)
            let width = version >= 7 && lenSection.count == docCount ? 1 : version >= 2 ? 2 : 4
            guard lenSection.count == docCount * width else { throw corrupt("length column has the wrong size") }
            lengths = lenSection
            lengthWidth = width
            store = try DocStoreReader(
                index: try section(.docStoreIndex), data: try section(.docStoreData),
                dictionary: sections[SegmentFormat.Section.docStoreDictionary.rawValue],
                docCount: docCount, pages: pages)
            dictionary = try TermDictionaryReader(
                index: try section(.termIndex), data: try section(.termData),
                gramFilters: sections[SegmentFormat.Section.termGramFilters.rawValue],
                firstTermPrefixes: sections[SegmentFormat.Section.termFirstPrefixes.rawValue],
                prefixSample: sections[SegmentFormat.Section.termPrefixSample.rawValue],
                inlineSingles: version >= 2, compactEntries: version >= 7, pages: pages)
            postings = try section(.postings)
            attributes = try AttributeDirectory(
                directory: try section(.attributes), data: try section(.attributeData),
                tallies: sections[SegmentFormat.Section.forwardTallies.rawValue],
                tallyOffsets: sections[SegmentFormat.Section.forwardTallyOffsets.rawValue],
                docCount: docCount, pages: pages)
            if let bytes = sections[SegmentFormat.Section.multiFieldFrequencies.rawValue] {
                try pages?.require(bytes)
                multiFieldDocFreq = try SegmentReader.readMultiFieldFrequencies(bytes, docCount: docCount)
            } else {
                multiFieldDocFreq = [:]
            }
            wordFilter = try sections[SegmentFormat.Section.wordFilter.rawValue].map { try WordFilter.Reader($0) }
            if let bits = sections[SegmentFormat.Section.patternDocs.rawValue] {
                guard bits.count >= (docCount + 7) / 8 else { throw corrupt("pattern bits for fewer docs than the segment has") }
                patternDocs = bits
                patternAttribute = attributes.reader("\(SegmentFormat.patternKey)")
            } else {
                (patternDocs, patternAttribute) = (nil, nil)
            }
        } catch let e as DecodeError {
            throw corrupt(e.description)
        }
        // Checking every section's checksum read the whole file; keep none of it resident.
        if pages == nil { storage.releaseResidentPages() }
    }

    /// Asks for the end of a segment file, where its table of contents and page checksum
    /// header are, and its start (the meta section), ahead of opening it. Opening many
    /// segments on a cold page cache asks for all of these, then `prefetchOpeningReads` for
    /// all, then opens them: the reads overlap instead of waiting one after another.
    public static func prefetchTableOfContents(_ file: MappedFile) {
        // Before the first fault: read-around would fetch megabytes for each.
        file.adviseRandomAccess()
        file.willNeed(max(0, file.bytes.count - (64 << 10))..<file.bytes.count)
        file.willNeed(0..<min(file.bytes.count, 4096))
    }

    /// Asks for the parts of the sections that opening reads (reading the table of contents,
    /// which `prefetchTableOfContents` asked for).
    public static func prefetchOpeningReads(_ file: MappedFile) {
        guard let toc = try? SegmentFileReader.tableOfContents(file.bytes) else { return }
        let opening: [SegmentFormat.Section: Int] = [
            .packedIDs: 1 << 16, .attributes: 1 << 16, .docStoreIndex: 4096, .termIndex: 4096,
            .termGramFilters: 4096, .termFirstPrefixes: 4096, .multiFieldFrequencies: 4096,
            .termPrefixSample: 1 << 16, .wordFilter: 4096,
        ]
        for (id, _, range) in toc {
            guard let section = SegmentFormat.Section(rawValue: id), let limit = opening[section] else { continue }
            file.willNeed(range.lowerBound..<min(range.upperBound, range.lowerBound + limit))
        }
    }

    /// Checks pages as they are first read (nil: the whole segment was checked when opened).
    let pages: PageVerifier?

    /// Throws when a read of this segment met a damaged page; a search calls it before it
    /// returns, so the paths that cannot throw (dictionary scans, column reads) never let
    /// damaged bytes become lines.
    public func throwIfDamaged() throws { try pages?.throwIfDamaged() }

    /// Bytes whose page checksums were checked since the segment opened.
    public var bytesVerifiedOnUse: Int { pages?.bytesVerified ?? 0 }

    /// Reads the whole file again and checks every section's checksum (the background pass:
    /// a disk may damage a segment long after it was opened). `pace` is called with each
    /// chunk's size, and may throw to stop. Leaves none of it resident.
    public func verifyChecksums(pace: (Int) throws -> Void) throws {
        defer { storage.releaseResidentPages() }
        do {
            try SegmentFileReader.verify(storage.bytes, pace: pace)
        } catch let e as DecodeError {
            throw AlcoError.corruptSegment(name: name, reason: e.description)
        }
    }

    private static func readMultiFieldFrequencies(_ bytes: UnsafeRawBufferPointer, docCount: Int) throws -> [WordKey: Int] {
        var r = ByteReader(bytes)
        let n = try r.varintInt()
        guard n <= bytes.count else { throw DecodeError("\(n) multi-field frequencies in \(bytes.count) bytes") }
        var out: [WordKey: Int] = [:]
        out.reserveCapacity(n)
        for _ in 0..<n {
            let term = Array(try r.bytes(try r.varintInt()))
            let docs = try r.varintInt()
            guard docs <= docCount else { throw DecodeError("a term in \(docs) of \(docCount) docs") }
            out[WordKey(term)] = docs
        }
        return out
    }

    /// False only when no field of the segment has the word whose `WordFilter.hash` this is.
    @inline(__always)
    func mayHaveWord(hash: UInt64) -> Bool { wordFilter?.mayContain(hash, pages: pages) ?? true }

    /// The word filter as plain values, for snapshots (nil: the segment has none).
    var wordFilterHandle: WordFilter.Handle? { wordFilter.map { WordFilter.Handle(filter: $0, marks: pages?.marks) } }

    /// False only when the segment surely lacks one of the probes' words.
    @inline(__always)
    func mayHaveWords(_ probes: UnsafeBufferPointer<WordFilter.Probe>) -> Bool {
        guard let filter = wordFilter else { return true }
        for p in probes where !filter.mayContain(p, pages: pages) { return false }
        return true
    }

    /// Docs with `word` in any text field, when the segment stored that count.
    func docFreqInAnyField(_ word: [UInt8]) -> Int? { docFreqInAnyField(WordKey(word)) }

    func docFreqInAnyField(_ word: WordKey) -> Int? {
        multiFieldDocFreq.isEmpty ? nil : multiFieldDocFreq[word]
    }

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
    /// A bound outside the segment's ids is answered from its meta: a cold segment's id
    /// column is read only when a range cuts it.
    public func ordinals(in range: ClosedRange<UInt64>) -> Range<UInt32> {
        let lo = range.lowerBound <= minID ? 0 : lowerBound(id: range.lowerBound)
        let hi = range.upperBound >= maxID ? UInt32(docCount) : lowerBound(id: range.upperBound + 1)
        return lo..<max(lo, hi)
    }

    public func length(_ ord: UInt32) -> UInt32 {
        let at = Int(ord) * lengthWidth
        if let pages, !pages.check(lengths.baseAddress! + at, count: lengthWidth) { return 1 }
        switch lengthWidth {
        case 1: return UInt32(lengths[at])
        case 2: return UInt32(lengths.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian)
        default: return lengths.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian
        }
    }

    public var averageLength: Double { docCount == 0 ? 1 : max(1, Double(totalTokens) / Double(docCount)) }

    public func fieldID(_ name: String) -> UInt8? {
        fieldNames.firstIndex(of: name).map { UInt8($0) }
    }

    // MARK: documents

    public func document(_ ord: UInt32, cache: DocStoreCache? = nil) throws -> Document {
        let (logline, js) = try storedFields(ord, cache: cache)
        return Document(id: ids.id(Int(ord)), logline: logline, js: js, pattern: pattern(ord))
    }

    /// The pattern the index gave doc `ord`, when kept beside its js; nil for docs without
    /// one, docs of older segments (whose js holds it) and damaged bytes (`throwIfDamaged`).
    public func pattern(_ ord: UInt32) -> UInt32? {
        guard let bits = patternDocs, let attribute = patternAttribute, Int(ord) < docCount else { return nil }
        let at = bits.baseAddress! + Int(ord >> 3)
        if let pages, !pages.check(at, count: 1) { return nil }
        guard at.load(as: UInt8.self) & (1 << (ord & 7)) != 0 else { return nil }
        let rank = Int(attribute.forward(ord))
        if rank > 0, let byRank = patternIDsByRank(attribute), rank <= byRank.count, byRank[rank - 1] != .max {
            return byRank[rank - 1]
        }
        guard let text = attribute.displayValue(ord) else { return nil }
        return UInt32(text)
    }

    /// The `pattern` attribute's values as ids by rank (`.max`: a value that is not one),
    /// named once per segment on first use: naming one value decodes its block of values
    /// (~5,000 instructions), which a page of 100 hits and a merge paid for every doc. Not
    /// made for more than `maxPatternValues` values (client-own values could be any number).
    private func patternIDsByRank(_ attribute: AttributeReader) -> [UInt32]? {
        patternValueIDs.withLock { table in
            if table == nil {
                guard attribute.valueCount <= SegmentReader.maxPatternValues else { return nil }
                var ids = [UInt32](repeating: .max, count: attribute.valueCount)
                attribute.forEachValue(where: { _ in true }) { rank, value in ids[rank] = UInt32(value) ?? .max }
                table = ids
            }
            return table
        }
    }
    private let patternValueIDs = Mutex<[UInt32]?>(nil)
    static let maxPatternValues = 1 << 16

    /// `key`'s values by rank, named once per segment on first use: a GROUP BY names every
    /// group of every segment it reads, and naming decodes the values' blocks (~10,000
    /// instructions a segment for a key of five values). Kept for at most `maxNamedValues`
    /// values over all keys of the segment; nil past that, or while the values are damaged.
    func valueNames(_ key: String, _ attribute: AttributeReader) -> [String]? {
        namedValues.withLock { cache -> [String]? in
            if let names = cache.byKey[key] { return names }
            guard cache.count + attribute.valueCount <= SegmentReader.maxNamedValues else { return nil }
            var names = [String](repeating: "", count: attribute.valueCount)
            attribute.forEachValue(where: { _ in true }) { rank, value in names[rank] = value }
            guard (try? throwIfDamaged()) != nil else { return nil }
            cache.byKey[key] = names
            cache.count += names.count
            return names
        }
    }
    private let namedValues = Mutex<(byKey: [String: [String]], count: Int)>(([:], 0))
    /// `wholeSegmentGroups`' memo.
    let groupsByKey = Mutex<[String: SegmentGroups]>([:])
    static let maxNamedValues = 4_096

    public func logline(_ ord: UInt32, cache: DocStoreCache? = nil) throws -> String {
        try storedFields(ord, cache: cache).logline
    }

    /// A block that does not decode (a frame failing its checksum, sizes that disagree) is
    /// damage like a page failing its checksum: the segment is taken out of service.
    private func storedFields(_ ord: UInt32, cache: DocStoreCache?) throws -> (logline: String, js: String) {
        do {
            return try store.fields(Int(ord), cache: cache, segment: uniqueID)
        } catch let e as DecodeError {
            throw AlcoError.corruptSegment(name: name, reason: "doc store: \(e.description)")
        }
    }

    // MARK: terms

    /// Reads the term dictionary entry whose key (field byte + folded term) equals `key`.
    public func lookup(_ key: [UInt8]) -> TermInfo? { dictionary.lookup(key) }

    /// Every term of `field` that starts with `prefix`, in order.
    public func terms(field: UInt8, prefix: [UInt8], limit: Int = .max, _ body: (UnsafeRawBufferPointer, TermInfo) -> Void) {
        dictionary.terms(field: field, prefix: prefix, limit: limit, body)
    }

    /// Every term of `field` (for infix scans).
    public func allTerms(field: UInt8, _ body: (UnsafeRawBufferPointer, TermInfo) -> Void) {
        dictionary.terms(field: field, prefix: [], body)
    }

    /// Terms of `field` that contain `needle` (see `TermDictionaryReader`).
    public func terms(
        field: UInt8, containing needle: [UInt8], suffixOnly: Bool = false, includingCutWords: Bool = false,
        limit: Int = .max, _ body: (UnsafeRawBufferPointer, TermInfo) -> Void
    ) {
        dictionary.terms(
            field: field, containing: needle, suffixOnly: suffixOnly, includingCutWords: includingCutWords,
            limit: limit, body)
    }

    public var termCount: Int { dictionary.termCount }

    /// - Parameter caching: whether a long list's parsed headers are kept for later queries (a
    ///   merge reads each list once: no).
    public func postingList(_ info: TermInfo, caching: Bool = true) throws -> PostingList {
        // An inline list sits in a dictionary block, checked when the term was read.
        if info.inline { return try PostingList(single: dictionary.data, offset: info.postingsOffset, hasPositions: true) }
        let shape = formatVersion >= 7 ? PostingList.Shape(docFreq: info.docFreq, hasPositions: true) : nil
        return try postingList(at: info.postingsOffset, docFreq: info.docFreq, shape: shape, caching: caching)
    }

    /// The list at `offset` of the postings section; a long one's headers are parsed once.
    private func postingList(at offset: Int, docFreq: Int, shape: PostingList.Shape?, caching: Bool = true) throws -> PostingList {
        if caching && docFreq >= PostingListCache.minimumDocs {
            return try longLists.list(at: offset) { try PostingList(bytes: postings, offset: offset, shape: shape, pages: pages) }
        }
        return try PostingList(bytes: postings, offset: offset, shape: shape, pages: pages)
    }

    /// The docs whose `attribute` has `value`, nil when no doc has it.
    public func postingList(of attribute: AttributeReader, value: String) throws -> PostingList? {
        guard let rank = attribute.rank(of: value), let postings = attribute.postings(rank) else { return nil }
        if case .stored(let offset, let docFreq) = postings {
            return try postingList(at: offset, docFreq: docFreq, shape: attribute.storedListShape(docFreq: docFreq))
        }
        return try attribute.postingList(postings, segmentPostings: self.postings)
    }

    public func attribute(_ key: String) -> AttributeReader? { attributes.reader(key) }
    public var attributeKeys: [String] { attributes.keys }
}

/// A word's bytes as a dictionary key hashed in one pass (an array of bytes hashes each byte
/// apart: a look-up per segment of every counted word paid for it).
struct WordKey: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
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
