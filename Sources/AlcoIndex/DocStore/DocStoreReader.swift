import Synchronization

/// A decompressed doc store block with, per document, the offsets of its logline and its js.
struct DecodedBlock: Sendable {
    let bytes: [UInt8]
    /// `2k` the logline of the block's document k, `2k + 1` its js.
    let offsets: [Int]
}

/// A per-query cache of decompressed doc store blocks (consecutive hits share blocks), in
/// front of the process-wide `SharedBlockCache` when `sharing` is on.
public final class DocStoreCache {
    var entries: [(segment: UInt64, block: Int, decoded: DecodedBlock)] = []
    let capacity: Int
    let sharing: Bool
    /// - Parameter sharing: false for one-pass readers (merges), which would only evict what
    ///   searches keep coming back to.
    public init(capacity: Int = 8, sharing: Bool = true) {
        self.capacity = capacity
        self.sharing = sharing
    }

    func get(_ seg: UInt64, _ block: Int) -> DecodedBlock? {
        if let hit = entries.first(where: { $0.segment == seg && $0.block == block }) { return hit.decoded }
        guard sharing, let shared = SharedBlockCache.shared.get(seg, block) else { return nil }
        putLocal(seg, block, shared)
        return shared
    }

    func put(_ seg: UInt64, _ block: Int, _ decoded: DecodedBlock) {
        putLocal(seg, block, decoded)
        if sharing { SharedBlockCache.shared.put(seg, block, decoded) }
    }

    private func putLocal(_ seg: UInt64, _ block: Int, _ decoded: DecodedBlock) {
        if entries.count >= capacity { entries.removeFirst() }
        entries.append((seg, block, decoded))
    }
}

/// Decompressed doc store blocks shared by all searches, bounded in bytes. Log readers page
/// around the same recent stretch again and again; a 32 KiB block costs ~10 µs to decompress,
/// so a page of 100 scattered hits costs a millisecond without this.
final class SharedBlockCache: Sendable {
    static let shared = SharedBlockCache(capacityBytes: 32 << 20)

    struct Key: Hashable {
        var segment: UInt64
        var block: Int
    }

    private struct State {
        var entries: [Key: (block: DecodedBlock, lastUse: UInt64)] = [:]
        var bytes = 0
        var tick: UInt64 = 0
    }

    private let state = Mutex(State())
    let capacityBytes: Int

    init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    func get(_ segment: UInt64, _ block: Int) -> DecodedBlock? {
        state.withLock { s in
            let key = Key(segment: segment, block: block)
            guard var e = s.entries[key] else { return nil }
            s.tick += 1
            e.lastUse = s.tick
            s.entries[key] = e
            return e.block
        }
    }

    func put(_ segment: UInt64, _ block: Int, _ decoded: DecodedBlock) {
        let size = decoded.bytes.count + decoded.offsets.count * 8
        guard size <= capacityBytes / 8 else { return }
        state.withLock { s in
            s.tick += 1
            let key = Key(segment: segment, block: block)
            if let old = s.entries.updateValue((decoded, s.tick), forKey: key) {
                s.bytes -= old.block.bytes.count + old.block.offsets.count * 8
            }
            s.bytes += size
            guard s.bytes > capacityBytes else { return }
            // Evict the least recently used quarter at once, so eviction stays rare.
            let victims = s.entries.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(max(1, s.entries.count / 4))
            for (k, v) in victims {
                s.entries[k] = nil
                s.bytes -= v.block.bytes.count + v.block.offsets.count * 8
            }
        }
    }
}

/// The doc store (see `DocStoreWriter`): blocks of documents with an index of the first
/// ordinal of each block, in either layout: LZ4 pairs (formats 1 to 4) or zstd columns.
struct DocStoreReader {
    let index: UnsafeRawBufferPointer
    let data: UnsafeRawBufferPointer
    let dictionary: UnsafeRawBufferPointer?
    let layout: DocStoreLayout
    let blockCount: Int
    let docCount: Int
    /// The zstd level the blocks were compressed at: 0 when unknown (LZ4 pairs, and zstd
    /// segments written before the level was recorded).
    let level: Int
    /// Where the entries start: after an 8-byte header (LZ4 pairs) or a 16-byte one.
    private let entriesStart: Int
    /// The zstd layout's decompressors, one per column's dictionary.
    private let columns: (logline: ZstdBlockDecompressor, js: ZstdBlockDecompressor)?
    /// Checks the index, the dictionary and each block as they are read.
    let pages: PageVerifier?
    /// No block is larger: 32 KiB plus one document, and no source takes a document of 1 GiB
    /// (ingest stops at 16 MiB lines, MySQL packets and HTTP bodies at most at 1 GiB).
    static let maxBlockBytes = 1 << 31

    init(
        index: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer, dictionary: UnsafeRawBufferPointer?,
        docCount: Int, pages: PageVerifier?
    ) throws {
        self.index = index
        self.data = data
        self.dictionary = dictionary
        self.docCount = docCount
        self.pages = pages
        guard index.count >= 8 else { throw DecodeError("doc store index is too short") }
        let headerBytes = min(index.count, 16)
        try pages?.require(UnsafeRawBufferPointer(rebasing: index.prefix(headerBytes)))
        var r = ByteReader(index)
        blockCount = Int(try r.u32())
        guard let layout = DocStoreLayout(rawValue: try r.u32()) else {
            throw DecodeError("doc store has an unknown layout")
        }
        self.layout = layout
        switch layout {
        case .lz4Pairs:
            entriesStart = 8
            columns = nil
            level = 0
        case .zstdColumns:
            entriesStart = 16
            let loglineDictionaryBytes = Int(try r.u32())
            level = Int(try r.u32())
            let dict = dictionary ?? UnsafeRawBufferPointer(start: nil, count: 0)
            guard loglineDictionaryBytes <= dict.count else {
                throw DecodeError("doc store dictionaries are shorter than their index says")
            }
            columns = (
                ZstdBlockDecompressor(dictionary: UnsafeRawBufferPointer(rebasing: dict.prefix(loglineDictionaryBytes))),
                ZstdBlockDecompressor(dictionary: UnsafeRawBufferPointer(rebasing: dict.dropFirst(loglineDictionaryBytes)))
            )
        }
        guard blockCount <= (index.count - entriesStart) / 24, index.count == entriesStart + blockCount * 24 else {
            throw DecodeError("doc store index has the wrong size")
        }
    }

    private func entry(_ b: Int) -> (first: Int, raw: Int, offset: Int, compressed: Int, loglineBytes: Int) {
        let base = entriesStart + b * 24
        return (
            Int(index.loadUnaligned(fromByteOffset: base, as: UInt32.self).littleEndian),
            Int(index.loadUnaligned(fromByteOffset: base + 4, as: UInt32.self).littleEndian),
            Int(truncatingIfNeeded: index.loadUnaligned(fromByteOffset: base + 8, as: UInt64.self).littleEndian),
            Int(index.loadUnaligned(fromByteOffset: base + 16, as: UInt32.self).littleEndian),
            Int(index.loadUnaligned(fromByteOffset: base + 20, as: UInt32.self).littleEndian)
        )
    }

    /// The documents' bytes before compression (a merge sizes its output's dictionaries by it).
    func storedBytes() throws -> Int {
        try pages?.require(index)
        var total = 0
        for b in 0..<blockCount { total += entry(b).raw }
        return total
    }

    private func block(containing ord: Int) -> Int {
        var lo = 0
        var hi = blockCount
        while lo < hi {
            let mid = (lo + hi) / 2
            if entry(mid).first <= ord { lo = mid + 1 } else { hi = mid }
        }
        return lo - 1
    }

    func fields(_ ord: Int, cache: DocStoreCache?, segment key: UInt64) throws -> (logline: String, js: String) {
        guard ord >= 0, ord < docCount else { throw DecodeError("doc \(ord) out of range") }
        try pages?.require(index)
        let b = block(containing: ord)
        guard b >= 0 else { throw DecodeError("doc \(ord) has no block") }
        let e = entry(b)
        let block: DecodedBlock
        if let cached = cache?.get(key, b) {
            block = cached
        } else {
            guard e.offset >= 0, e.compressed <= data.count, e.offset <= data.count - e.compressed else {
                throw DecodeError("doc store block \(b) out of range")
            }
            let compressed = UnsafeRawBufferPointer(rebasing: data[e.offset..<(e.offset + e.compressed)])
            if let pages {
                try pages.require(compressed)
                // zstd frames check what they decompress to, dictionary bytes included, and
                // read only the dictionary bytes their matches reach: checking all of a 512 KiB
                // dictionary's pages would read it whole for one cold document.
                if layout == .lz4Pairs, let dictionary { try pages.require(dictionary) }
            }
            let docs = (b + 1 < blockCount ? entry(b + 1).first : docCount) - e.first
            // A larger size is damage, not a reason to allocate it.
            guard e.raw <= DocStoreReader.maxBlockBytes else { throw DecodeError("doc store block \(b) claims \(e.raw) bytes") }
            // A document takes at least a byte for each of its two strings.
            guard docs > 0, docs <= e.raw / 2 else { throw DecodeError("doc store block \(b) holds \(docs) documents in \(e.raw) bytes") }
            block = try decode(compressed, entry: e, docs: docs)
            cache?.put(key, b, block)
        }
        let k = ord - e.first
        guard k >= 0, 2 * k + 1 < block.offsets.count else { throw DecodeError("doc \(ord) is not in its block") }
        return try block.bytes.withUnsafeBytes { buf in
            var logline = ByteReader(buf, offset: block.offsets[2 * k])
            var js = ByteReader(buf, offset: block.offsets[2 * k + 1])
            return (try logline.string(), try js.string())
        }
    }

    /// Decompresses a block and indexes its documents once, so reading all of them is linear.
    private func decode(
        _ compressed: UnsafeRawBufferPointer, entry e: (first: Int, raw: Int, offset: Int, compressed: Int, loglineBytes: Int),
        docs: Int
    ) throws -> DecodedBlock {
        if layout == .zstdColumns {
            // Both frames must say what the index says before anything is allocated for them.
            guard e.loglineBytes <= compressed.count,
                let loglineRaw = ZstdBlockDecompressor.contentSize(UnsafeRawBufferPointer(rebasing: compressed.prefix(e.loglineBytes))),
                let jsRaw = ZstdBlockDecompressor.contentSize(UnsafeRawBufferPointer(rebasing: compressed.dropFirst(e.loglineBytes))),
                loglineRaw <= e.raw, jsRaw == e.raw - loglineRaw
            else { throw DecodeError("doc store block's frames do not hold the size its index says") }
        }
        var out = [UInt8](repeating: 0, count: e.raw)
        switch layout {
        case .lz4Pairs:
            try out.withUnsafeMutableBytes { dst in try LZ4.decompress(compressed, into: dst, dictionary: dictionary) }
            let offsets = try out.withUnsafeBytes { buf -> [Int] in
                var r = ByteReader(buf)
                var offsets: [Int] = []
                offsets.reserveCapacity(2 * docs)
                while !r.isAtEnd {
                    offsets.append(r.offset)
                    try r.skip(try r.varintInt())
                    offsets.append(r.offset)
                    try r.skip(try r.varintInt())
                }
                return offsets
            }
            guard offsets.count == 2 * docs else { throw DecodeError("doc store block holds the wrong number of documents") }
            return DecodedBlock(bytes: out, offsets: offsets)
        case .zstdColumns:
            guard let columns else { throw DecodeError("doc store has no decompressors") }
            let offsets = try out.withUnsafeMutableBytes { dst -> [Int] in
                let loglineRaw = try columns.logline.decompress(
                    UnsafeRawBufferPointer(rebasing: compressed.prefix(e.loglineBytes)), into: dst)
                let jsRaw = try columns.js.decompress(
                    UnsafeRawBufferPointer(rebasing: compressed.dropFirst(e.loglineBytes)),
                    into: UnsafeMutableRawBufferPointer(rebasing: dst.dropFirst(loglineRaw)))
                guard loglineRaw + jsRaw == e.raw else { throw DecodeError("doc store block decompresses to the wrong size") }
                // Each column holds `docs` strings and ends where the next begins.
                var offsets = [Int](repeating: 0, count: 2 * docs)
                var loglines = ByteReader(UnsafeRawBufferPointer(rebasing: dst.prefix(loglineRaw)))
                var js = ByteReader(UnsafeRawBufferPointer(dst), offset: loglineRaw)
                for k in 0..<docs {
                    offsets[2 * k] = loglines.offset
                    try loglines.skip(try loglines.varintInt())
                    offsets[2 * k + 1] = js.offset
                    try js.skip(try js.varintInt())
                }
                guard loglines.isAtEnd, js.isAtEnd else { throw DecodeError("doc store block holds the wrong number of documents") }
                return offsets
            }
            return DecodedBlock(bytes: out, offsets: offsets)
        }
    }
}
