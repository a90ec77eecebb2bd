/// Serializes one posting list: doc ordinals delta-encoded in blocks of 128 with a block
/// header (last doc, byte lengths) so readers can jump to, or walk backwards from, any block;
/// term frequencies and positions follow each block's docs so doc-only queries skip them.
enum PostingsFormat {
    static let blockSize = 128
    static let hasPositions: UInt64 = 1
}

/// Writes posting lists one after another, reusing its scratch buffers (a segment has
/// millions of terms: no allocation per list).
struct PostingsWriter {
    private var blockDocs = ByteWriter(capacity: 512)
    private var blockPos = ByteWriter(capacity: 512)
    private var headers = ByteWriter(capacity: 1024)
    private var bodies = ByteWriter(capacity: 1 << 16)

    init() {}

    /// Appends the list for `docs` (ascending); with positions, doc `i`'s positions are
    /// `positions[starts[i]..<starts[i + 1]]`.
    mutating func write(
        docs: UnsafeBufferPointer<UInt32>,
        positions: UnsafeBufferPointer<UInt32>?,
        starts: UnsafeBufferPointer<Int>?,
        to out: inout ByteWriter
    ) {
        let n = docs.count
        out.varint(n)
        out.varint(positions == nil ? 0 : PostingsFormat.hasPositions)
        let nBlocks = (n + PostingsFormat.blockSize - 1) / PostingsFormat.blockSize
        out.varint(nBlocks)
        headers.reset()
        bodies.reset()
        var prevLast: UInt32 = 0
        var prevDoc: UInt32 = 0
        var first = true
        for b in 0..<nBlocks {
            blockDocs.reset()
            blockPos.reset()
            let lo = b * PostingsFormat.blockSize
            let hi = min(n, lo + PostingsFormat.blockSize)
            for i in lo..<hi {
                let d = docs[i]
                blockDocs.varint(first ? d : d - prevDoc)
                first = false
                prevDoc = d
            }
            if let positions, let starts {
                for i in lo..<hi { blockDocs.varint(starts[i + 1] - starts[i]) }
                for i in lo..<hi {
                    var prev: UInt32 = 0
                    for k in starts[i]..<starts[i + 1] {
                        let p = positions[k]
                        blockPos.varint(p - prev)
                        prev = p
                    }
                }
            }
            let last = docs[hi - 1]
            headers.varint(last - prevLast)
            headers.varint(blockDocs.count)
            headers.varint(blockPos.count)
            prevLast = last
            bodies.append(contentsOf: blockDocs.bytes)
            bodies.append(contentsOf: blockPos.bytes)
        }
        out.append(contentsOf: headers.bytes)
        out.append(contentsOf: bodies.bytes)
    }
}
