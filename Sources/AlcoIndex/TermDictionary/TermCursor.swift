/// Walks every term of a dictionary in order, one `next()` at a time (a merge advances
/// several dictionaries side by side). A damaged block or an entry that does not parse ends
/// the walk early with `failed` set: whoever merges must then not use what was read.
struct TermCursor {
    private let dictionary: TermDictionaryReader
    private var block = -1
    private var offset = 0
    private var blockEnd = 0
    private var previousOffset = 0
    /// The current key (field byte, then the word); valid after `next()` returned true.
    private(set) var term: [UInt8] = []
    private(set) var info = TermInfo(docFreq: 0, postingsOffset: 0)
    /// The walk stopped before the dictionary's end.
    private(set) var failed = false

    init(_ dictionary: TermDictionaryReader) {
        self.dictionary = dictionary
        term.reserveCapacity(Tokenizer.maxTokenBytes + 8)
    }

    /// Moves to the next term; false at the end (or at a damaged block).
    mutating func next() -> Bool {
        if offset >= blockEnd {
            guard block + 1 < dictionary.blockCount, !failed else { return false }
            block += 1
            guard dictionary.blockIsIntact(block) else { return fail() }
            offset = dictionary.blockOffset(block)
            blockEnd = dictionary.blockOffset(block + 1)
            previousOffset = 0
            guard offset < blockEnd else { return fail() }
        }
        let data = dictionary.data
        let base = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var at = offset
        guard let head = TermBlockCodec.readEntryHead(base, &at, end: blockEnd, compact: dictionary.compactEntries),
            head.shared <= term.count, head.suffixLength <= Tokenizer.maxTokenBytes + 8
        else { return fail() }
        info = TermBlockCodec.readPostingsReference(
            df: head.docFreq, base, &at, previous: &previousOffset, inlineSingles: dictionary.inlineSingles, limit: data.count)
        guard at <= blockEnd else { return fail() }
        offset = at
        term.removeSubrange(head.shared...)
        term.append(contentsOf: UnsafeRawBufferPointer(rebasing: data[head.suffixAt..<(head.suffixAt + head.suffixLength)]))
        return true
    }

    /// A damaged block, or an entry that does not parse inside its block: the walk ends there.
    private mutating func fail() -> Bool {
        failed = true
        offset = 0
        blockEnd = 0
        return false
    }
}
