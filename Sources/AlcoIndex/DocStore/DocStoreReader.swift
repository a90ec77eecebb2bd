import Synchronization

/// A decompressed doc store block with the offset of each document in it.
struct DecodedBlock: Sendable {
    let bytes: [UInt8]
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

/// The doc store (see `DocStoreWriter`): LZ4 blocks of (logline, js) pairs, compressed
/// against the segment's dictionary when it has one, with an index of the first ordinal of
/// each block.
struct DocStoreReader {
    let index: UnsafeRawBufferPointer
    let data: UnsafeRawBufferPointer
    let dictionary: UnsafeRawBufferPointer?
    let blockCount: Int
    let docCount: Int
    /// Checks the index, the dictionary and each block as they are read.
    let pages: PageVerifier?

    init(
        index: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer, dictionary: UnsafeRawBufferPointer?,
        docCount: Int, pages: PageVerifier?
    ) throws {
        self.index = index
        self.data = data
        self.dictionary = dictionary
        self.docCount = docCount
        self.pages = pages
        try pages?.require(UnsafeRawBufferPointer(rebasing: index.prefix(8)))
        var r = ByteReader(index)
        blockCount = Int(try r.u32())
        guard index.count == 8 + blockCount * 24 else { throw DecodeError("doc store index has the wrong size") }
    }

    private func entry(_ b: Int) -> (first: Int, raw: Int, offset: Int, compressed: Int) {
        let base = 8 + b * 24
        return (
            Int(index.loadUnaligned(fromByteOffset: base, as: UInt32.self).littleEndian),
            Int(index.loadUnaligned(fromByteOffset: base + 4, as: UInt32.self).littleEndian),
            Int(index.loadUnaligned(fromByteOffset: base + 8, as: UInt64.self).littleEndian),
            Int(index.loadUnaligned(fromByteOffset: base + 16, as: UInt32.self).littleEndian)
        )
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
            guard e.offset + e.compressed <= data.count else { throw DecodeError("doc store block \(b) out of range") }
            if let pages {
                try pages.require(UnsafeRawBufferPointer(rebasing: data[e.offset..<(e.offset + e.compressed)]))
                if let dictionary { try pages.require(dictionary) }
            }
            var out = [UInt8](repeating: 0, count: e.raw)
            try out.withUnsafeMutableBytes { dst in
                try LZ4.decompress(
                    UnsafeRawBufferPointer(rebasing: data[e.offset..<(e.offset + e.compressed)]), into: dst,
                    dictionary: dictionary)
            }
            // Index the block's documents once, so reading every doc of it is linear.
            let offsets = try out.withUnsafeBytes { buf -> [Int] in
                var r = ByteReader(buf)
                var offsets: [Int] = []
                while !r.isAtEnd {
                    offsets.append(r.offset)
                    try r.skip(try r.varintInt())
                    try r.skip(try r.varintInt())
                }
                return offsets
            }
            block = DecodedBlock(bytes: out, offsets: offsets)
            cache?.put(key, b, block)
        }
        let k = ord - e.first
        guard k >= 0, k < block.offsets.count else { throw DecodeError("doc \(ord) is not in its block") }
        return try block.bytes.withUnsafeBytes { buf in
            var r = ByteReader(buf, offset: block.offsets[k])
            let logline = try r.string()
            let js = try r.string()
            return (logline, js)
        }
    }
}
