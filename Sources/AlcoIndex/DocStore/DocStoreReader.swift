/// A decompressed doc store block with the offset of each document in it.
struct DecodedBlock {
    let bytes: [UInt8]
    let offsets: [Int]
}

/// A per-query cache of decompressed doc store blocks (consecutive hits share blocks).
public final class DocStoreCache {
    var entries: [(segment: ObjectIdentifier, block: Int, decoded: DecodedBlock)] = []
    let capacity: Int
    public init(capacity: Int = 8) { self.capacity = capacity }

    func get(_ seg: ObjectIdentifier, _ block: Int) -> DecodedBlock? {
        entries.first { $0.segment == seg && $0.block == block }?.decoded
    }

    func put(_ seg: ObjectIdentifier, _ block: Int, _ decoded: DecodedBlock) {
        if entries.count >= capacity { entries.removeFirst() }
        entries.append((seg, block, decoded))
    }
}

/// The doc store: LZ4 blocks of about 16 KiB of (logline, js) pairs with an index of the
/// first ordinal of each block.
struct DocStoreReader {
    let index: UnsafeRawBufferPointer
    let data: UnsafeRawBufferPointer
    let blockCount: Int
    let docCount: Int

    init(index: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer, docCount: Int) throws {
        self.index = index
        self.data = data
        self.docCount = docCount
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

    func fields(_ ord: Int, cache: DocStoreCache?, segment: AnyObject) throws -> (logline: String, js: String) {
        guard ord >= 0, ord < docCount else { throw DecodeError("doc \(ord) out of range") }
        let b = block(containing: ord)
        guard b >= 0 else { throw DecodeError("doc \(ord) has no block") }
        let e = entry(b)
        let key = ObjectIdentifier(segment)
        let block: DecodedBlock
        if let cached = cache?.get(key, b) {
            block = cached
        } else {
            guard e.offset + e.compressed <= data.count else { throw DecodeError("doc store block \(b) out of range") }
            var out = [UInt8](repeating: 0, count: e.raw)
            try out.withUnsafeMutableBytes { dst in
                try LZ4.decompress(UnsafeRawBufferPointer(rebasing: data[e.offset..<(e.offset + e.compressed)]), into: dst)
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
