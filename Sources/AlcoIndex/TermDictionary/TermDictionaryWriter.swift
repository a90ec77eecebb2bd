/// Writes a segment's term dictionary: terms in byte order (field byte first), in blocks of
/// `SegmentFormat.termsPerBlock` whose entries `TermBlockCodec` lays out, an index of block
/// offsets, a gram filter per block, and the any-field counts of frequent words.
enum TermDictionaryWriter {
    /// Writes the sorted, prefix-compressed dictionary (index, blocks, gram filters) with each
    /// term's postings appended to `out`.
    static func write(terms: borrowing TermTable, postings: borrowing PostingsPool, into out: inout ByteWriter)
        -> (index: [UInt8], data: [UInt8], gramFilters: [UInt8], firstTermPrefixes: [UInt8])
    {
        var index = ByteWriter()
        var prefixes = ByteWriter()
        var data = ByteWriter(capacity: terms.arenaBytes)
        let order = terms.sortedIDs()
        let nBlocks = (order.count + SegmentFormat.termsPerBlock - 1) / SegmentFormat.termsPerBlock
        index.u32(UInt32(nBlocks))
        index.u32(UInt32(order.count))
        prefixes.u32(UInt32(nBlocks))
        prefixes.u32(0)
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
            if k % SegmentFormat.termsPerBlock == 0 { prefixes.u64(TermPrefix.of(term)) }
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
            TermBlockCodec.writeEntryHead(term: term, shared: shared, docFreq: decoded.docs.count, to: &data)
            // Most terms of a log segment occur once (ids, numbers): their postings sit in the
            // entry. Others point into the postings section, as a delta within the block.
            if decoded.docs.count == 1 {
                PostingsWriter.writeSingle(
                    doc: decoded.docs.buffer[0], positions: decoded.positions.buffer,
                    starts: decoded.starts.buffer, to: &data)
            } else {
                data.varint(out.count - previousOffset)
                previousOffset = out.count
                writer.write(docs: decoded.docs.buffer, positions: decoded.positions.buffer, starts: decoded.starts.buffer, to: &out)
            }
            prev = term
        }
        if !order.isEmpty { filters.append(contentsOf: blockFilter) }
        return (index.take(), data.take(), filters.take(), prefixes.take())
    }

    /// Terms below this many docs in every field are cheap to count by decoding.
    static let multiFieldFrequencyMinimum: UInt32 = 1024

    /// For each frequent term found in several text fields, the docs having it in any of them:
    /// counting a bare word over the whole segment (the commonest count) then decodes nothing.
    /// Entries: varint term length, term bytes (no field byte), varint doc count; in term order.
    static func multiFieldFrequencies(
        terms: borrowing TermTable, postings: borrowing PostingsPool,
        fieldCount: Int, docCount: Int
    ) -> [UInt8] {
        guard fieldCount > 1, fieldCount <= 256 else { return [] }
        var entries: [(term: [UInt8], docs: Int)] = []
        var key: [UInt8] = []
        var decoded = DecodedPostings()
        var bits = [UInt64](repeating: 0, count: (docCount + 63) / 64)
        for t in 0..<terms.count where postings.docFreq(t) >= TermDictionaryWriter.multiFieldFrequencyMinimum {
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
                twins.first(where: { postings.docFreq($0) >= TermDictionaryWriter.multiFieldFrequencyMinimum }) == t
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
}
