/// A split-block Bloom filter of every word in a segment's dictionary, whatever its field:
/// a query whose words must all be present skips a segment lacking one of them with one
/// 32-byte read, before any dictionary look-up (a needle over a few hundred segments looked
/// each word up per field in every one of them).
///
/// Layout (section `wordFilter`): u32 block count, u32 bits per word it was sized for, then
/// the blocks, 8 little-endian u32 each. A word sets one bit in each of its block's 8 words;
/// the block is chosen by the high half of its hash, the bits by the low half times 8 odd
/// constants. The hash, the block choice and the constants are part of the format: they must
/// never change (`WordFilterTests` pins them).
enum WordFilter {
    static let blockBytes = 32
    /// About 1% of segments without the word pass at this density.
    static let bitsPerWord = 10
    /// One per word of a block; odd, so each spreads the hash's low half over all 32 bits.
    private static let salts: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x8A3D_5B27, 0x1F6C_E9A5, 0xC45B_07E3, 0x3E91_D46F, 0x7D28_A1B9, 0xE63F_4C1D, 0x52B7_9E0B, 0xA90C_3D75
    )

    /// The word's hash: eight bytes at a time, then a final mix so every input bit reaches the
    /// high half (which picks the block).
    @inline(__always)
    static func hash(_ word: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(word.count)
        var i = 0
        while i + 8 <= word.count {
            h = (h ^ UInt64(littleEndian: word.loadUnaligned(fromByteOffset: i, as: UInt64.self))) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
            i += 8
        }
        if i < word.count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < word.count {
                tail |= UInt64(word[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* 0x9E37_79B9_7F4A_7C15
        }
        h ^= h >> 32
        h = h &* 0xD6E8_FEB8_6659_FD93
        h ^= h >> 32
        return h
    }

    static func hash(_ word: [UInt8]) -> UInt64 {
        word.withUnsafeBytes { hash($0) }
    }

    /// The 8 bit masks of `hash`, one per u32 of its block.
    @inline(__always)
    private static func masks(_ hash: UInt64) -> SIMD8<UInt32> {
        let low = UInt32(truncatingIfNeeded: hash)
        let s = salts
        let products = SIMD8<UInt32>(repeating: low) &* SIMD8(s.0, s.1, s.2, s.3, s.4, s.5, s.6, s.7)
        return SIMD8(repeating: 1) &<< (products &>> 27)
    }

    @inline(__always)
    private static func block(_ hash: UInt64, of blockCount: Int) -> Int {
        Int(truncatingIfNeeded: ((hash >> 32) &* UInt64(blockCount)) >> 32)
    }

    /// Lanes as stored (little-endian) from native order, or back.
    @inline(__always)
    static func inFileOrder(_ v: SIMD8<UInt32>) -> SIMD8<UInt32> {
        #if _endian(little)
        return v
        #else
        var out = v
        for i in 0..<8 { out[i] = v[i].byteSwapped }
        return out
        #endif
    }

    /// The section for words with these hashes (repeats are harmless).
    static func section(hashes: borrowing GrowableBuffer<UInt64>) -> [UInt8] {
        let blockCount = max(1, (hashes.count * bitsPerWord + blockBytes * 8 - 1) / (blockBytes * 8))
        var out = [UInt8](repeating: 0, count: 8 + blockCount * blockBytes)
        out.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt32(blockCount).littleEndian, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: UInt32(bitsPerWord).littleEndian, toByteOffset: 4, as: UInt32.self)
            let blocks = raw.baseAddress! + 8
            for k in 0..<hashes.count {
                let h = hashes[k]
                let at = blocks + block(h, of: blockCount) * blockBytes
                let merged = inFileOrder(at.loadUnaligned(as: SIMD8<UInt32>.self)) | masks(h)
                at.storeBytes(of: inFileOrder(merged), as: SIMD8<UInt32>.self)
            }
        }
        return out
    }

    /// A word's hash with its bit masks, worked out once for all the segments it is probed in
    /// (only the block depends on the segment). The masks are kept as the block's bytes read
    /// as four u64s: a probe is four and-nots and an or, where comparing SIMD8 lanes with `==`
    /// compiled to a loop of eight (~100 instructions a segment of a needle's search).
    struct Probe {
        let hash: UInt64
        let masks: (UInt64, UInt64, UInt64, UInt64)

        @inline(__always)
        init(hash: UInt64) {
            self.hash = hash
            let lanes = WordFilter.inFileOrder(WordFilter.masks(hash))
            masks = withUnsafeBytes(of: lanes) { raw in
                (
                    raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                    raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
                )
            }
        }
    }

    /// A segment's filter as read from its section. Plain values only (the segment's page
    /// verifier is passed to each probe): copying it retains nothing.
    struct Reader {
        private let blocks: UnsafeRawPointer
        private let blockCount: Int

        /// Reads nothing: the block count follows from the section's size (opening a segment
        /// reads the same few pages whatever its size).
        init(_ bytes: UnsafeRawBufferPointer) throws {
            let count = (bytes.count - 8) / WordFilter.blockBytes
            guard count > 0, bytes.count == 8 + count * WordFilter.blockBytes else {
                throw DecodeError("word filter of \(bytes.count) bytes")
            }
            blocks = bytes.baseAddress! + 8
            blockCount = count
        }

        /// False only when no word of the segment has this hash.
        @inline(__always)
        func mayContain(_ hash: UInt64, pages: PageVerifier?) -> Bool { mayContain(Probe(hash: hash), pages: pages) }

        /// False only when no word of the segment has the probe's hash. `pages` checks the
        /// block's page on first read; a damaged one answers "may contain", so the look-ups
        /// go on and the search fails on the damage they meet.
        @inline(__always)
        func mayContain(_ probe: Probe, pages: PageVerifier?) -> Bool {
            let at = blockAddress(probe)
            guard pages?.check(at, count: WordFilter.blockBytes) ?? true else { return true }
            return WordFilter.Reader.block(at, mayHave: probe)
        }

        @inline(__always)
        func blockAddress(_ probe: Probe) -> UnsafeRawPointer {
            blocks + WordFilter.block(probe.hash, of: blockCount) * WordFilter.blockBytes
        }

        @inline(__always)
        static func block(_ at: UnsafeRawPointer, mayHave probe: Probe) -> Bool {
            let m = probe.masks
            let missing =
                (m.0 & ~at.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
                | (m.1 & ~at.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                | (m.2 & ~at.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
                | (m.3 & ~at.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
            return missing == 0
        }
    }

    /// A segment's filter with its page marks, plain values a snapshot carries: probing it
    /// reads the snapshot and the block, no object of the segment. Unchecked Sendable: it
    /// points at the segment's immutable mapping and atomic page bits, which live as long as
    /// the reader the snapshot holds beside it.
    struct Handle: @unchecked Sendable {
        let filter: Reader
        let marks: PageVerifier.Marks?

        /// Whether the segment may have every probe's word; nil when a block's page was never
        /// verified (the segment's reader then answers, verifying it).
        @inline(__always)
        func mayHaveAll(_ probes: UnsafeBufferPointer<Probe>) -> Bool? {
            for p in probes {
                let at = filter.blockAddress(p)
                if let marks, !marks.areVerified(at, count: WordFilter.blockBytes) { return nil }
                if !Reader.block(at, mayHave: p) { return false }
            }
            return true
        }
    }
}
