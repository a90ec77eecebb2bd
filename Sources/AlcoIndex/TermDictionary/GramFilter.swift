/// A Bloom filter of the 3-byte grams of a dictionary block's terms (one hash per gram).
///
/// A term contains a needle only if it contains every gram of the needle, so a block whose
/// filter lacks one of them holds no match and is not decoded. With 32 terms a block has a
/// few hundred distinct grams, which fill about a third of 1024 bits: a needle of 4 grams
/// passes a block without a match about 1–2% of the time.
enum GramFilter {
    static let bytes = 128
    static let bits = bytes * 8

    @inline(__always)
    static func bit(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int {
        let gram = UInt32(a) | UInt32(b) << 8 | UInt32(c) << 16
        return Int((gram &* 0x9E37_79B1) >> 22)  // top 10 bits: 0..<1024
    }

    /// Adds every gram of `term` to `filter` (128 bytes).
    @inline(__always)
    static func add(_ term: UnsafeRawBufferPointer, to filter: UnsafeMutablePointer<UInt8>) {
        guard term.count >= 3 else { return }
        for i in 0...(term.count - 3) {
            let k = bit(term[i], term[i + 1], term[i + 2])
            filter[k >> 3] |= 1 << UInt8(k & 7)
        }
    }

    /// Sets every bit: a block that must never be skipped.
    static func fill(_ filter: UnsafeMutablePointer<UInt8>) {
        filter.update(repeating: 0xff, count: bytes)
    }

    /// The bit numbers a block must have for `needle` to occur in one of its terms (empty
    /// when the needle is too short to have a gram: every block may match).
    static func required(_ needle: [UInt8]) -> [Int] {
        guard needle.count >= 3 else { return [] }
        return Array(Set((0...(needle.count - 3)).map { bit(needle[$0], needle[$0 + 1], needle[$0 + 2]) })).sorted()
    }

    /// Whether `filter` has every gram of `word` (true for a word too short to have one),
    /// without building the list of bits: the check a dictionary look-up makes per segment.
    @inline(__always)
    static func mayContain(_ filter: UnsafePointer<UInt8>, every word: UnsafeRawBufferPointer) -> Bool {
        guard word.count >= 3 else { return true }
        for i in 0...(word.count - 3) where !has(filter, bit(word[i], word[i + 1], word[i + 2])) { return false }
        return true
    }

    @inline(__always)
    static func mayContain(_ filter: UnsafePointer<UInt8>, _ required: [Int]) -> Bool {
        for k in required where !has(filter, k) { return false }
        return true
    }

    @inline(__always)
    private static func has(_ filter: UnsafePointer<UInt8>, _ k: Int) -> Bool {
        filter[k >> 3] & (1 << UInt8(k & 7)) != 0
    }
}
