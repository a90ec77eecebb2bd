/// Writes a segment's term dictionary: terms in byte order (field byte first), in blocks of
/// `SegmentFormat.termsPerBlock` whose entries `TermBlockCodec` lays out, an index of block
/// offsets, a gram filter per block, a filter of every word (`WordFilter`), and the any-field
/// counts of frequent words.
///
/// Streaming: terms arrive in order with their postings (from a builder's tables, or merged
/// from other segments' dictionaries by `PostingsMerge`), each list appended to the postings
/// section as it comes.
struct TermDictionaryWriter: ~Copyable {
    private var blockOffsets: [UInt64] = []
    private var blockPrefixes: [UInt64] = []
    private var filters: ByteWriter
    private var data: ByteWriter
    /// The open block's gram filter (raw memory: it is written once per gram of every term).
    private var blockFilter = GrowableBuffer<UInt8>(capacity: GramFilter.bytes)
    private var blockFilterBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: blockFilter.base, count: GramFilter.bytes) }
    /// The entry before, whose prefix the next entry shares (a raw buffer: an array's
    /// uniqueness check per truncation and append was a tenth of writing an entry).
    private var previous = GrowableBuffer<UInt8>(capacity: Tokenizer.maxTokenBytes + 8)
    private var previousOffset = 0
    private(set) var termCount = 0
    private var writer = PostingsWriter()
    /// Keys with at least `multiFieldFrequencyMinimum` docs, in order (for `multiFieldFrequencies`).
    private var frequentKeys: [[UInt8]] = []
    /// Each term's word hash, for the segment's `WordFilter` (sized once every term is known).
    private var wordHashes: GrowableBuffer<UInt64>

    init(expectedTermBytes: Int = 0, expectedTerms: Int = 1024) {
        data = ByteWriter(capacity: expectedTermBytes)
        wordHashes = GrowableBuffer(capacity: expectedTerms)
        filters = ByteWriter()
        _ = blockFilter.append(repeating: 0, count: GramFilter.bytes)
    }

    /// Appends `term` (above every term before it) with its postings: `docs` ascending, doc
    /// `i`'s positions `positions[starts[i]..<starts[i + 1]]`; the list goes to `out`.
    mutating func add(
        term: UnsafeRawBufferPointer, docs: UnsafeBufferPointer<UInt32>, positions: UnsafeBufferPointer<UInt32>,
        starts: UnsafeBufferPointer<Int>, postings out: inout ByteWriter
    ) {
        startEntry(term: term, docFreq: docs.count)
        // Most terms of a log segment occur once (ids, numbers): their postings sit in the
        // entry. Others point into the postings section, as a delta within the block.
        if docs.count == 1 {
            PostingsWriter.writeSingle(doc: docs[0], positions: positions, starts: starts, to: &data)
        } else {
            pointAtList(postings: out)
            writer.write(docs: docs, positions: positions, starts: starts, to: &out)
        }
    }

    /// Appends a `term` that occurs once in the segment, in `doc` at `position` (most terms of
    /// a log segment: ids, numbers), with no list to decode or encode.
    mutating func addOnce(term: UnsafeRawBufferPointer, doc: UInt32, position: UInt32) {
        startEntry(term: term, docFreq: 1, onlyOccurrence: (doc, position))
    }

    /// Appends a one-document `term` whose frequency and position gaps are already encoded
    /// (`PostingsWriter.writeSingle`'s layout after the doc).
    mutating func addSingle(term: UnsafeRawBufferPointer, doc: UInt32, encodedPositions: UnsafeRawBufferPointer) {
        startEntry(term: term, docFreq: 1)
        data.varint(doc)
        data.append(encodedPositions)
    }

    /// Appends `term` with a list of `docFreq` (> 1) docs that `write` appends to `out`, already
    /// encoded as `PostingsWriter` encodes it.
    mutating func addList(
        term: UnsafeRawBufferPointer, docFreq: Int, postings out: inout ByteWriter, write: (inout ByteWriter) -> Void
    ) {
        startEntry(term: term, docFreq: docFreq)
        pointAtList(postings: out)
        write(&out)
    }

    /// The entry's term and doc count, opening a block every `termsPerBlock` terms.
    private mutating func startEntry(
        term: UnsafeRawBufferPointer, docFreq: Int, onlyOccurrence: (doc: UInt32, position: UInt32)? = nil
    ) {
        if termCount % SegmentFormat.termsPerBlock == 0 {
            if termCount > 0 { filters.append(blockFilterBytes) }
            blockFilter.base.update(repeating: 0, count: GramFilter.bytes)
            blockOffsets.append(UInt64(data.count))
            blockPrefixes.append(TermPrefix.of(term))
            previous.removeAll()
            previousOffset = 0
        }
        termCount += 1
        if docFreq >= TermDictionaryWriter.multiFieldFrequencyMinimum { frequentKeys.append(Array(term)) }
        let len = term.count
        // The block's gram filter gets the word (no field byte); a word cut at the token
        // limit may hold a match across the cut, so its block is never skipped.
        let word = UnsafeRawBufferPointer(rebasing: term[1...])
        if len - 1 >= Tokenizer.maxTokenBytes {
            GramFilter.fill(blockFilter.base)
        } else {
            GramFilter.add(word, to: blockFilter.base)
        }
        wordHashes.append(WordFilter.hash(word))
        var shared = 0
        let limit = min(previous.count, len)
        while shared < limit && previous[shared] == term[shared] { shared += 1 }
        TermBlockCodec.writeEntryHead(term: term, shared: shared, docFreq: docFreq, onlyOccurrence: onlyOccurrence, to: &data)
        previous.removeLast(previous.count - shared)
        previous.append(contentsOf: UnsafeRawBufferPointer(rebasing: term[shared...]))
    }

    /// The entry's reference to a list starting at the end of `out`: a delta within the block.
    private mutating func pointAtList(postings out: borrowing ByteWriter) {
        data.varint(out.count - previousOffset)
        previousOffset = out.count
    }

    /// A written dictionary's sections.
    struct Sections {
        var index: [UInt8]
        var data: [UInt8]
        var gramFilters: [UInt8]
        var firstTermPrefixes: [UInt8]
        /// Every term's word, whatever its field (`WordFilter`).
        var wordFilter: [UInt8]
        /// Keys with at least `multiFieldFrequencyMinimum` docs, in order.
        var frequentKeys: [[UInt8]]
    }

    /// The dictionary's sections: block index, entries, gram filters, first-term prefixes.
    consuming func finish() -> Sections {
        let nBlocks = blockOffsets.count
        var index = ByteWriter(capacity: 8 + 8 * nBlocks)
        index.u32(UInt32(nBlocks))
        index.u32(UInt32(termCount))
        for o in blockOffsets { index.u64(o) }
        var prefixes = ByteWriter(capacity: 8 + 8 * nBlocks)
        prefixes.u32(UInt32(nBlocks))
        prefixes.u32(0)
        for p in blockPrefixes { prefixes.u64(p) }
        var grams = ByteWriter(capacity: 8 + nBlocks * GramFilter.bytes)
        grams.u32(UInt32(nBlocks))
        grams.u32(UInt32(GramFilter.bytes))
        grams.append(contentsOf: filters.take())
        if nBlocks > 0 { grams.append(blockFilterBytes) }
        return Sections(
            index: index.take(), data: data.take(), gramFilters: grams.take(), firstTermPrefixes: prefixes.take(),
            wordFilter: WordFilter.section(hashes: wordHashes), frequentKeys: frequentKeys)
    }

    /// Writes a builder's terms, sorted, with their postings appended to `out`.
    static func write(terms: borrowing TermTable, postings: borrowing PostingsPool, into out: inout ByteWriter) -> Sections {
        let order = terms.sortedIDs()
        var dictionary = TermDictionaryWriter(expectedTermBytes: terms.arenaBytes, expectedTerms: order.count)
        var decoded = DecodedPostings()
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
            if let once = postings.onlyOccurrence(t) {
                dictionary.addOnce(term: terms.term(t), doc: once.doc, position: once.position)
                continue
            }
            postings.decode(t, into: &decoded)
            dictionary.add(
                term: terms.term(t), docs: decoded.docs.buffer, positions: decoded.positions.buffer,
                starts: decoded.starts.buffer, postings: &out)
        }
        return dictionary.finish()
    }

    /// Terms below this many docs in every field are cheap to count by decoding.
    static let multiFieldFrequencyMinimum = 1024

    /// For each frequent term found in several text fields, the docs having it in any of them:
    /// counting a bare word over the whole segment (the commonest count) then decodes nothing.
    /// Entries: varint term length, term bytes (no field byte), varint doc count; in term order.
    /// Read back from the written dictionary and postings, whichever way they were made.
    static func multiFieldFrequencies(
        of sections: Sections, postings: [UInt8], fieldCount: Int, docCount: Int
    ) throws -> [UInt8] {
        guard fieldCount > 1, fieldCount <= 256, !sections.frequentKeys.isEmpty else { return [] }
        var entries: [(term: [UInt8], docs: Int)] = []
        try sections.index.withUnsafeBytes { index in
            try sections.data.withUnsafeBytes { data in
                try postings.withUnsafeBytes { postings in
                    let dictionary = try TermDictionaryReader(
                        index: index, data: data, gramFilters: nil, inlineSingles: true, compactEntries: true, pages: nil)
                    var bits = [UInt64](repeating: 0, count: (docCount + 63) / 64)
                    var key: [UInt8] = []
                    for frequent in sections.frequentKeys {
                        let word = frequent.dropFirst()
                        var twins: [(field: UInt8, info: TermInfo)] = []
                        for f in 0..<fieldCount {
                            key.removeAll(keepingCapacity: true)
                            key.append(UInt8(f))
                            key.append(contentsOf: word)
                            if let info = dictionary.lookup(key) { twins.append((UInt8(f), info)) }
                        }
                        // Each group once: from its first member that is frequent enough to get here.
                        guard twins.count > 1,
                            twins.first(where: { $0.info.docFreq >= multiFieldFrequencyMinimum })?.field == frequent[0]
                        else { continue }
                        for k in bits.indices { bits[k] = 0 }
                        for twin in twins {
                            let list =
                                twin.info.inline
                                ? try PostingList(single: data, offset: twin.info.postingsOffset, hasPositions: true)
                                : try PostingList(
                                    bytes: postings, offset: twin.info.postingsOffset,
                                    shape: PostingList.Shape(docFreq: twin.info.docFreq, hasPositions: true))
                            for d in list.allDocs() where Int(d) < docCount { bits[Int(d >> 6)] |= 1 << UInt64(d & 63) }
                        }
                        entries.append((Array(word), bits.reduce(0) { $0 + $1.nonzeroBitCount }))
                    }
                }
            }
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
}
