/// Reads a segment's term dictionary (as `TermDictionaryWriter` wrote it): exact look-ups by
/// binary search over the blocks' first terms, and scans by prefix, suffix or infix, the last
/// stepping over blocks whose gram filter rules the needle out.
struct TermDictionaryReader {
    let index: UnsafeRawBufferPointer
    let data: UnsafeRawBufferPointer
    let blockCount: Int
    let termCount: Int
    /// Format 2 on: one-document terms' postings are in their entries, offsets are deltas.
    let inlineSingles: Bool
    /// Format 7 on: entries start with a head byte (`TermBlockCodec`).
    let compactEntries: Bool
    /// Per block, the Bloom filter of its terms' grams (nil in older segments).
    let gramFilters: UnsafePointer<UInt8>?
    /// Checks index entries, filters and blocks as they are read; a damaged one reads as
    /// empty, and the search fails on the segment's damage before it answers.
    let pages: PageVerifier?
    /// Per block, its first term's `TermPrefix` (nil in older segments), at 8 bytes each.
    let firstTermPrefixes: UnsafeRawPointer?
    /// Every `TermPrefix.sampleStride`th of those, held in memory (empty when not stored).
    let prefixSample: [UInt64]

    init(
        index: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer, gramFilters grams: UnsafeRawBufferPointer?,
        firstTermPrefixes prefixes: UnsafeRawBufferPointer? = nil, prefixSample sample: UnsafeRawBufferPointer? = nil,
        inlineSingles: Bool, compactEntries: Bool, pages: PageVerifier?
    ) throws {
        self.index = index
        self.data = data
        self.inlineSingles = inlineSingles
        self.compactEntries = compactEntries
        self.pages = pages
        try pages?.require(UnsafeRawBufferPointer(rebasing: index.prefix(8)))
        if let grams { try pages?.require(UnsafeRawBufferPointer(rebasing: grams.prefix(8))) }
        var ti = ByteReader(index)
        blockCount = Int(try ti.u32())
        termCount = Int(try ti.u32())
        guard index.count == 8 + blockCount * 8 else { throw DecodeError("term index has the wrong size") }
        if let grams {
            var g = ByteReader(grams)
            let blocks = Int(try g.u32())
            let width = Int(try g.u32())
            guard blocks == blockCount, width == GramFilter.bytes, grams.count == 8 + blocks * width else {
                throw DecodeError("term gram filters do not fit the dictionary")
            }
            gramFilters = grams.baseAddress!.assumingMemoryBound(to: UInt8.self) + 8
        } else {
            gramFilters = nil
        }
        if let prefixes {
            try pages?.require(UnsafeRawBufferPointer(rebasing: prefixes.prefix(8)))
            var p = ByteReader(prefixes)
            guard Int(try p.u32()) == blockCount, prefixes.count == 8 + 8 * blockCount else {
                throw DecodeError("term prefixes do not fit the dictionary")
            }
            firstTermPrefixes = prefixes.baseAddress! + 8
        } else {
            firstTermPrefixes = nil
        }
        if let sample, firstTermPrefixes != nil {
            try pages?.require(sample)
            var s = ByteReader(sample)
            let count = Int(try s.u32())
            _ = try s.u32()
            let stride = TermPrefix.sampleStride
            guard count == (blockCount + stride - 1) / stride, sample.count == 8 + 8 * count else {
                throw DecodeError("term prefix sample does not fit the dictionary")
            }
            prefixSample = (0..<count).map { sample.loadUnaligned(fromByteOffset: 8 + 8 * $0, as: UInt64.self).littleEndian }
        } else {
            prefixSample = []
        }
    }

    /// A look-up checks the first-term prefixes it may probe at once when they are this few
    /// (two pages); more (a prefix shared by many blocks widens the range) are checked per probe,
    /// so a cold look-up still reads only the pages it probes.
    static let prefixesCheckedAtOnce = 2 * TermPrefix.sampleStride

    /// The blocks a binary search for `keyPrefix` must probe (all, without a sample).
    private func searchRange(_ keyPrefix: UInt64) -> Range<Int> {
        prefixSample.isEmpty
            ? 0..<blockCount
            : TermPrefix.narrow(prefixSample, stride: TermPrefix.sampleStride, blockCount: blockCount, key: keyPrefix)
    }

    /// Reads the term dictionary entry whose key (field byte + folded term) equals `key`.
    public func lookup(_ key: [UInt8]) -> TermInfo? {
        guard blockCount > 0 else { return nil }
        // Binary search the blocks by their first term (its prefix, when that decides).
        let keyPrefix = TermPrefix.of(key)
        let range = searchRange(keyPrefix)
        var lo = range.lowerBound
        var hi = range.upperBound
        // The prefixes the probes may read checked in one call when they are a page or two (a
        // check per probe cost more than the probe).
        let prefixesChecked =
            hi - lo <= TermDictionaryReader.prefixesCheckedAtOnce
            && firstTermPrefixes.map { pages?.check($0 + 8 * lo, count: 8 * (hi - lo)) ?? true } == true
        while lo < hi {
            let mid = (lo + hi) / 2
            if compareFirstTerm(mid, key, keyPrefix, prefixChecked: prefixesChecked) <= 0 { lo = mid + 1 } else { hi = mid }
        }
        let block = lo - 1
        guard block >= 0 else { return nil }
        // A term is in its block only if the block's gram filter has every gram of it: a word
        // looked up in every segment (a needle) stops here in the segments without it, before
        // their block is decoded. A damaged filter answers no; the search then fails on it.
        if let gramFilters, key.count > 3 {
            guard let filter = intactFilter(gramFilters, block) else { return nil }
            let present = key.withUnsafeBytes { GramFilter.mayContain(filter, every: UnsafeRawBufferPointer(rebasing: $0.dropFirst())) }
            guard present else { return nil }
        }
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
        guard blockCount > 0 else { return }
        let key = [field] + prefix
        var block = blockWhereTermsFrom(key)
        var emitted = 0
        var done = false
        while block < blockCount && !done {
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
    public func terms(
        field: UInt8, containing needle: [UInt8], suffixOnly: Bool = false, includingCutWords: Bool = false,
        limit: Int = .max, _ body: (UnsafeRawBufferPointer, TermInfo) -> Void
    ) {
        guard blockCount > 0 else { return }
        // Blocks holding a cut word have every filter bit set, so filtering never hides one.
        let required = GramFilter.required(needle)
        let filters = required.isEmpty ? nil : gramFilters
        var block = blockWhereTermsFrom([field])
        guard blockIsIntact(block) else { return }
        var i = blockOffset(block)
        var blockEnd = blockOffset(block + 1)
        let end = data.count
        let data = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
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
                            while block < blockCount && !mayContain(filters, block, required) {
                                block += 1
                            }
                            guard block < blockCount else { return }
                            i = blockOffset(block)
                        }
                        guard block < blockCount, blockIsIntact(block) else { return }
                        blockEnd = blockOffset(block + 1)
                        previousOffset = 0
                    }
                    guard let head = TermBlockCodec.readEntryHead(data, &i, end: blockEnd, compact: compactEntries) else { return }
                    let shared = head.shared
                    let suffixLen = head.suffixLength
                    guard shared + suffixLen <= scratch.count else { return }
                    (term + shared).update(from: data + head.suffixAt, count: suffixLen)
                    let info = readPostingsReference(df: head.docFreq, data, &i, previous: &previousOffset)
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
        let keyPrefix = TermPrefix.of(key)
        let range = searchRange(keyPrefix)
        var lo = range.lowerBound
        var hi = range.upperBound
        while lo < hi {
            let mid = (lo + hi) / 2
            if compareFirstTerm(mid, key, keyPrefix) < 0 { lo = mid + 1 } else { hi = mid }
        }
        return max(0, lo - 1)
    }

    /// Block `b`'s first term against `key`: decided by their prefixes when they differ (a
    /// probe then reads 8 bytes of a small array, not a page of the dictionary).
    /// - Parameter prefixChecked: the caller checked block `b`'s prefix already.
    @inline(__always)
    private func compareFirstTerm(_ b: Int, _ key: [UInt8], _ keyPrefix: UInt64, prefixChecked: Bool = false) -> Int {
        if let firstTermPrefixes, prefixChecked || pages?.check(firstTermPrefixes + 8 * b, count: 8) ?? true {
            let p = UInt64(littleEndian: firstTermPrefixes.loadUnaligned(fromByteOffset: 8 * b, as: UInt64.self))
            if p != keyPrefix { return p < keyPrefix ? -1 : 1 }
        }
        return compare(firstTermOfBlock(b), key)
    }

    /// Where block `b`'s terms start in `data` (its end for `b == blockCount`, or when its
    /// index entry is damaged).
    func blockOffset(_ b: Int) -> Int {
        guard b < blockCount, pages?.check(index.baseAddress! + 8 + b * 8, count: 8) ?? true else { return data.count }
        return min(Int(clamping: index.loadUnaligned(fromByteOffset: 8 + b * 8, as: UInt64.self).littleEndian), data.count)
    }

    /// Whether block `b`'s bytes are intact (checking them on first use).
    func blockIsIntact(_ b: Int) -> Bool {
        guard let pages else { return true }
        let lo = blockOffset(b)
        let hi = blockOffset(b + 1)
        return lo >= hi || pages.check(data.baseAddress! + lo, count: hi - lo)
    }

    private func mayContain(_ filters: UnsafePointer<UInt8>, _ block: Int, _ required: [Int]) -> Bool {
        guard let filter = intactFilter(filters, block) else { return false }
        return GramFilter.mayContain(filter, required)
    }

    /// Block `b`'s gram filter, checked on first use; nil when damaged (the block is then
    /// passed over, and the search fails on the damage before answering).
    private func intactFilter(_ filters: UnsafePointer<UInt8>, _ b: Int) -> UnsafePointer<UInt8>? {
        let filter = filters + b * GramFilter.bytes
        return pages?.check(UnsafeRawPointer(filter), count: GramFilter.bytes) ?? true ? filter : nil
    }

    private func firstTermOfBlock(_ b: Int) -> UnsafeRawBufferPointer {
        var i = blockOffset(b)
        guard blockIsIntact(b),
            let head = TermBlockCodec.readEntryHead(
                data.baseAddress!.assumingMemoryBound(to: UInt8.self), &i, end: blockOffset(b + 1), compact: compactEntries)
        else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        // A block's first term shares nothing: its suffix is the whole term.
        return UnsafeRawBufferPointer(rebasing: data[head.suffixAt..<(head.suffixAt + head.suffixLength)])
    }

    /// Walks the terms of block `b`; `body` returns false to stop.
    private func scanBlock(_ b: Int, _ body: (UnsafeRawBufferPointer, TermInfo) -> Bool) {
        guard blockIsIntact(b) else { return }
        let end = blockOffset(b + 1)
        var i = blockOffset(b)
        let bytes = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { scratch in
            var previousOffset = 0
            while i < end {
                guard let head = TermBlockCodec.readEntryHead(bytes, &i, end: end, compact: compactEntries),
                    head.shared + head.suffixLength <= scratch.count
                else { return }
                let info = readPostingsReference(df: head.docFreq, bytes, &i, previous: &previousOffset)
                guard i <= end else { return }
                (scratch.baseAddress! + head.shared).update(from: bytes + head.suffixAt, count: head.suffixLength)
                let term = UnsafeRawBufferPointer(start: scratch.baseAddress!, count: head.shared + head.suffixLength)
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

    @inline(__always)
    private func readPostingsReference(df: Int, _ bytes: UnsafePointer<UInt8>, _ i: inout Int, previous: inout Int) -> TermInfo {
        TermBlockCodec.readPostingsReference(df: df, bytes, &i, previous: &previous, inlineSingles: inlineSingles, limit: data.count)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
