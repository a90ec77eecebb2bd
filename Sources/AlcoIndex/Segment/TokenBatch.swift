/// One document's tokens over all its fields, gathered before any is looked up: the builder
/// then requests the term-table slots of all of them at once and probes them after, so a
/// document's cache misses (a rare word's slot, its postings state) overlap instead of being
/// waited for one token at a time.
struct TokenBatch: ~Copyable {
    struct Token {
        /// The key (field byte, then the folded word) is `keys[start..<start + length]`.
        var start: UInt32
        var length: UInt32
        var position: UInt32
        var hash: UInt32
    }

    private(set) var keys = GrowableBuffer<UInt8>(capacity: 4096)
    private(set) var tokens = GrowableBuffer<Token>(capacity: 256)
    /// Where the tokenizer folds each word (allocated once, not per call).
    private let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: Tokenizer.scratchBytes)

    init() {}

    deinit { scratch.deallocate() }

    var count: Int { tokens.count }

    mutating func removeAll() {
        keys.removeAll()
        tokens.removeAll()
    }

    @inline(__always)
    func key(_ k: Int) -> UnsafeRawBufferPointer {
        let t = tokens[k]
        return UnsafeRawBufferPointer(start: keys.base + Int(t.start), count: Int(t.length))
    }

    /// Tokenizes `text` into `field`, numbering positions from `firstPosition`; returns the
    /// number of tokens.
    mutating func add(_ text: UnsafeRawBufferPointer, field: UInt8, firstPosition: UInt32) -> UInt32 {
        var n: UInt32 = 0
        Tokenizer.forEachToken(text, scratch: scratch) { word, position, _ in
            let start = keys.count
            keys.append(field)
            keys.append(contentsOf: word)
            let length = word.count + 1
            tokens.append(
                Token(
                    start: UInt32(start), length: UInt32(length),
                    position: firstPosition + UInt32(position), hash: TermTable.hash(keys.base + start, count: length)))
            n += 1
        }
        return n
    }
}
