/// Writes a segment's doc store: (logline, js) pairs in blocks of about 32 KiB, each
/// LZ4-compressed against a dictionary made of the segment's first 64 KiB of documents. Log
/// lines of one segment repeat each other's shapes (keys, hosts, logger names), so the
/// dictionary gives small blocks the ratio of large ones: small blocks keep reading one
/// document cheap, and the dictionary costs 64 KiB once per segment. Blocks wait uncompressed
/// until the dictionary is filled; a segment too small to pay for one gets none.
struct DocStoreWriter {
    static let blockBytes = 32 * 1024
    static let dictionaryBytes = 64 * 1024
    /// Below this many bytes of documents a dictionary costs more than it saves.
    static let dictionaryMinimumBytes = 256 * 1024

    let compression: StoreCompression
    private var block = ByteWriter(capacity: DocStoreWriter.blockBytes + 4096)
    private var blockFirst: UInt32 = 0
    private var docCount: UInt32 = 0
    private var index = ByteWriter()
    private var data = ByteWriter()
    private var blockCount: UInt32 = 0
    /// Blocks kept raw until enough bytes have been seen to choose the dictionary.
    private var waiting: [(first: UInt32, bytes: [UInt8])] = []
    private var waitingBytes = 0
    private var dictionary: [UInt8] = []
    private var compressor: LZ4DictionaryCompressor?

    init(compression: StoreCompression) {
        self.compression = compression
    }

    mutating func add(logline: String, js: String) {
        if block.count == 0 { blockFirst = docCount }
        docCount += 1
        block.string(logline)
        block.string(js)
        if block.count >= DocStoreWriter.blockBytes { endBlock() }
    }

    /// The block index, the compressed blocks and the dictionary (empty when none).
    mutating func finish() -> (index: [UInt8], data: [UInt8], dictionary: [UInt8]) {
        endBlock()
        compressWaiting(dictionaryAllowed: false)
        var header = ByteWriter(capacity: 8 + index.count)
        header.u32(blockCount)
        header.u32(0)
        header.append(contentsOf: index.bytes)
        return (header.take(), data.take(), dictionary)
    }

    private mutating func endBlock() {
        guard block.count > 0 else { return }
        if compressor == nil && waitingBytes < DocStoreWriter.dictionaryMinimumBytes {
            waiting.append((blockFirst, block.bytes))
            waitingBytes += block.count
            block.reset()
            if waitingBytes >= DocStoreWriter.dictionaryMinimumBytes { compressWaiting(dictionaryAllowed: true) }
            return
        }
        let first = blockFirst
        block.bytes.withUnsafeBytes { write($0, first: first) }
        block.reset()
    }

    /// Compresses the waiting blocks, first choosing the dictionary from them when allowed.
    private mutating func compressWaiting(dictionaryAllowed: Bool) {
        guard !waiting.isEmpty else { return }
        if dictionaryAllowed {
            var sample: [UInt8] = []
            sample.reserveCapacity(DocStoreWriter.dictionaryBytes)
            for w in waiting where sample.count < DocStoreWriter.dictionaryBytes {
                sample.append(contentsOf: w.bytes.prefix(DocStoreWriter.dictionaryBytes - sample.count))
            }
            dictionary = sample
            compressor = sample.withUnsafeBytes { LZ4DictionaryCompressor(dictionary: $0, high: compression == .high) }
        }
        let blocks = waiting
        waiting = []
        waitingBytes = 0
        for w in blocks { w.bytes.withUnsafeBytes { write($0, first: w.first) } }
    }

    private mutating func write(_ raw: UnsafeRawBufferPointer, first: UInt32) {
        let compressed: [UInt8]
        if let compressor {
            compressed = compressor.compress(raw)
        } else {
            compressed = compression == .fast ? LZ4.compress(raw) : LZ4.compressHigh(raw)
        }
        index.u32(first)
        index.u32(UInt32(raw.count))
        index.u64(UInt64(data.count))
        index.u32(UInt32(compressed.count))
        index.u32(0)
        data.append(contentsOf: compressed)
        blockCount += 1
    }
}
