/// Writes a segment's doc store: documents in blocks of about 32 KiB, each block two zstd
/// frames, the block's loglines then its js texts, each column compressed against its own
/// dictionary made of that column's first 64 KiB in the segment (256 KiB in a segment of
/// 32 MiB or more, where the larger dictionary saves ~7% and costs under 1%). A column repeats
/// itself far more than a logline repeats its js (js keys, hosts and logger names line up
/// with the js before them), so the columns apart are ~10% smaller than pairs, and the
/// dictionaries give small blocks the ratio of large ones: small blocks keep reading one
/// document cheap. Blocks wait uncompressed until the dictionaries are filled; a segment too
/// small to pay for them gets none.
///
/// Layout (`DocStoreLayout.zstdColumns`): the index is a 16-byte header (block count, layout,
/// the logline dictionary's size, the zstd level: 0 before levels were recorded) and a 24-byte
/// entry per block (first ordinal, raw bytes, offset, compressed bytes, the logline frame's
/// compressed bytes); the dictionary section is the logline dictionary followed by the js
/// dictionary.
struct DocStoreWriter {
    static let blockBytes = 32 * 1024
    static let dictionaryBytes = 64 * 1024
    static let largeDictionaryBytes = 256 * 1024
    static let largeSegmentBytes = 32 << 20

    /// Each column's dictionary size.
    let dictionaryBytes: Int
    /// Below this many bytes of documents the dictionaries cost more than they save.
    var dictionaryMinimumBytes: Int { 4 * dictionaryBytes }

    /// Fresh segments are written while ingesting: zstd's level 1 leaves little more than half
    /// what LZ4 did, for ~5% more instructions per ingested line. Merged segments are read for
    /// their whole life: level 9 is another ~13% smaller (~30% below the LZ4HC it replaces).
    static func level(_ compression: StoreCompression) -> Int32 {
        switch compression {
        case .fast: 1
        case .interim: 3
        case .high: 9
        }
    }

    private struct RawBlock {
        var first: UInt32
        var loglines: [UInt8]
        var jsTexts: [UInt8]
        var count: Int { loglines.count + jsTexts.count }
    }

    let level: Int32
    private var loglines = ByteWriter(capacity: DocStoreWriter.blockBytes + 4096)
    private var jsTexts = ByteWriter(capacity: DocStoreWriter.blockBytes + 4096)
    private var blockFirst: UInt32 = 0
    private var docCount: UInt32 = 0
    private var index = ByteWriter()
    private var data: [UInt8] = []
    private var blockCount: UInt32 = 0
    /// Blocks kept raw until enough bytes have been seen to choose the dictionaries.
    private var waiting: [RawBlock] = []
    private var waitingBytes = 0
    private var loglineDictionary: [UInt8] = []
    private var jsDictionary: [UInt8] = []
    private var compressors: (logline: ZstdBlockCompressor, js: ZstdBlockCompressor)?

    /// - Parameter expectedBytes: the documents' bytes the segment will hold, when known
    ///   (a merge's sources): a large segment gets the larger dictionaries.
    init(compression: StoreCompression, expectedBytes: Int = 0) {
        level = DocStoreWriter.level(compression)
        dictionaryBytes = expectedBytes >= DocStoreWriter.largeSegmentBytes ? DocStoreWriter.largeDictionaryBytes : DocStoreWriter.dictionaryBytes
    }

    mutating func add(logline: String, js: String) {
        if loglines.count == 0 && jsTexts.count == 0 { blockFirst = docCount }
        docCount += 1
        loglines.string(logline)
        jsTexts.string(js)
        if loglines.count + jsTexts.count >= DocStoreWriter.blockBytes { endBlock() }
    }

    /// The block index, the compressed blocks and the dictionaries (empty when none).
    mutating func finish() -> (index: [UInt8], data: [UInt8], dictionary: [UInt8]) {
        endBlock()
        compressWaiting(dictionaryAllowed: false)
        if compressors == nil {
            // No block at all: still a valid, empty store.
            compressors = (ZstdBlockCompressor(level: level), ZstdBlockCompressor(level: level))
        }
        var header = ByteWriter(capacity: 16 + index.count)
        header.u32(blockCount)
        header.u32(DocStoreLayout.zstdColumns.rawValue)
        header.u32(UInt32(loglineDictionary.count))
        header.u32(UInt32(level))
        header.append(contentsOf: index.bytes)
        return (header.take(), data, loglineDictionary + jsDictionary)
    }

    private mutating func endBlock() {
        guard loglines.count + jsTexts.count > 0 else { return }
        let block = RawBlock(first: blockFirst, loglines: loglines.bytes, jsTexts: jsTexts.bytes)
        loglines.reset()
        jsTexts.reset()
        if compressors == nil {
            waiting.append(block)
            waitingBytes += block.count
            if waitingBytes >= dictionaryMinimumBytes { compressWaiting(dictionaryAllowed: true) }
            return
        }
        write(block)
    }

    /// Compresses the waiting blocks, first choosing the dictionaries from them when allowed.
    private mutating func compressWaiting(dictionaryAllowed: Bool) {
        guard !waiting.isEmpty else { return }
        if dictionaryAllowed {
            loglineDictionary = Self.sample(waiting.lazy.map(\.loglines), bytes: dictionaryBytes)
            jsDictionary = Self.sample(waiting.lazy.map(\.jsTexts), bytes: dictionaryBytes)
        }
        let level = level
        compressors = (
            loglineDictionary.withUnsafeBytes { ZstdBlockCompressor(level: level, dictionary: $0) },
            jsDictionary.withUnsafeBytes { ZstdBlockCompressor(level: level, dictionary: $0) }
        )
        let blocks = waiting
        waiting = []
        waitingBytes = 0
        for b in blocks { write(b) }
    }

    /// The first `bytes` of a column.
    private static func sample<S: Sequence>(_ parts: S, bytes: Int) -> [UInt8] where S.Element == [UInt8] {
        var sample: [UInt8] = []
        sample.reserveCapacity(bytes)
        for part in parts where sample.count < bytes {
            sample.append(contentsOf: part.prefix(bytes - sample.count))
        }
        return sample
    }

    private mutating func write(_ block: RawBlock) {
        guard let compressors else { return }
        let offset = data.count
        let loglineBytes = block.loglines.withUnsafeBytes { compressors.logline.compress($0, appendingTo: &data) }
        block.jsTexts.withUnsafeBytes { _ = compressors.js.compress($0, appendingTo: &data) }
        index.u32(block.first)
        index.u32(UInt32(block.count))
        index.u64(UInt64(offset))
        index.u32(UInt32(data.count - offset))
        index.u32(UInt32(loglineBytes))
        blockCount += 1
    }
}

/// How a doc store's blocks are laid out and compressed (the index header's second word).
enum DocStoreLayout: UInt32 {
    /// Segment formats 1 to 4: (logline, js) pairs in one LZ4 block, one optional dictionary.
    case lz4Pairs = 0
    /// Format 5 on: per block a zstd frame of loglines and one of js texts, a dictionary each.
    case zstdColumns = 1
}
