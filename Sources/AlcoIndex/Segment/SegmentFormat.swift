/// The immutable segment file: 8-byte magic, sections (each 8-aligned and checksummed), a
/// table of contents, and a trailer pointing at it. One file per segment keeps manifests
/// simple; sections are addressed by id so new ones can be added without breaking old files.
enum SegmentFormat {
    static let magic: [UInt8] = Array("ALCOSEG1".utf8)
    static let trailerMagic: [UInt8] = Array("ALCOEND1".utf8)
    /// 2: a one-document term's postings sit in its dictionary entry, other terms' postings
    /// offsets are deltas within their dictionary block, and lengths are 16-bit. 3: js keys
    /// that few documents have get sparse columns (attribute flag 4, numeric kind 2).
    /// 4: page checksums (`PageChecksums`), so opening reads no section whole.
    /// 5: the doc store in zstd columns (`DocStoreLayout.zstdColumns`), which format 4
    /// readers would take for LZ4. 6: js values in front-coded blocks with few docs' lists
    /// inline (attribute flag 8, `AttributeValueBlocks`). 7: dictionary entries start with a
    /// head byte (`TermBlockCodec`), posting lists have no head of their own (`PostingsFormat`;
    /// attribute flag 16), and lengths take a byte each when every one fits. Versions
    /// 1 to 6 are still read (1 to 3 checked whole).
    static let version: UInt32 = 7
    static let oldestReadableVersion: UInt32 = 1
    static let trailerSize = 8 + 4 + 4 + 8
    /// Positions of separate js values are this far apart so phrases never span two values.
    static let valuePositionGap: UInt32 = 64

    enum Section: UInt32, CaseIterable {
        case meta = 1
        case ids = 2
        case lengths = 3
        case docStoreIndex = 4
        case docStoreData = 5
        case termIndex = 6
        case termData = 7
        case postings = 8
        case attributes = 9
        case attributeData = 10
        /// Optional: docs per term over all text fields, for frequent terms in several fields.
        case multiFieldFrequencies = 11
        /// Optional: per dictionary block, a Bloom filter of the 3-byte grams of its terms, so
        /// infix and suffix look-ups skip the blocks that cannot hold a match.
        case termGramFilters = 12
        /// Optional: per js key, docs and newest ordinal per forward rank (GROUP BY over a
        /// whole segment without reading the column).
        case forwardTallies = 13
        /// Optional: the dictionaries the doc store's blocks were compressed against.
        case docStoreDictionary = 14
        /// The ids bit-packed in blocks (see `IDColumn`), in place of `ids`.
        case packedIDs = 15
        /// Each 4 KiB page's checksum, covering every byte before this section (format 4 on).
        case pageChecksums = 16
        /// Optional: per dictionary block, the first 8 bytes of its first term (`TermPrefix`),
        /// so a look-up's binary search reads this small array, not a page per probe.
        case termFirstPrefixes = 17
        /// Optional: where each key's tally starts in `forwardTallies` (u32 count, then a u32
        /// per key with strings, in directory order; u32.max for a key without one), so a
        /// GROUP BY reads its key's tally only.
        case forwardTallyOffsets = 18
        /// Optional: every `TermPrefix.sampleStride`th entry of `termFirstPrefixes`, read at
        /// open, so a look-up's binary search starts within one page of that array.
        case termPrefixSample = 19
        /// Optional: a bit per doc (doc `d` is bit `d & 7` of byte `d >> 3`), set when the doc's
        /// `pattern` attribute is the pattern the index gave it, which its stored js does not
        /// hold (`Document.pattern`). Older segments kept it in js as `"pattern":"12"`.
        case patternDocs = 20
        /// Optional: a Bloom filter of every word in the dictionary whatever its field
        /// (`WordFilter`), so a query skips a segment without one of its words.
        case wordFilter = 21
    }

    static let termsPerBlock = 32

    /// The js key and attribute of a line's message pattern (`Section.patternDocs`).
    static let patternKey: StaticString = "pattern"
    static var patternKeyBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: patternKey.utf8Start, count: patternKey.utf8CodeUnitCount)
    }

    enum Field {
        static let logline: UInt8 = 0
        static let js: UInt8 = 1
        static let names = ["logline", "js"]
    }
}
