/// Serializes one posting list: doc ordinals delta-encoded in blocks of 128 with a block
/// header (last doc, byte lengths) so readers can jump to, or walk backwards from, any block;
/// term frequencies and positions follow each block's docs so doc-only queries skip them.
enum PostingsFormat {
    static let blockSize = 128
    static let hasPositions: UInt64 = 1
}

struct PostingsWriter {
    /// Appends the list for `docs` (ascending), with `positions[i]` the positions in `docs[i]`
    /// when positions are kept.
    static func write(
        docs: UnsafeBufferPointer<UInt32>,
        positions: ((Int) -> ArraySlice<UInt32>)?,
        to out: inout ByteWriter
    ) {
        let n = docs.count
        out.varint(n)
        out.varint(positions == nil ? 0 : PostingsFormat.hasPositions)
        let nBlocks = (n + PostingsFormat.blockSize - 1) / PostingsFormat.blockSize
        out.varint(nBlocks)
        var blockDocs = ByteWriter(capacity: 256)
        var blockPos = ByteWriter(capacity: 256)
        var headers = ByteWriter(capacity: nBlocks * 6)
        var bodies = ByteWriter(capacity: n * 2)
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
            if let positions {
                for i in lo..<hi { blockDocs.varint(positions(i).count) }
                for i in lo..<hi {
                    var prev: UInt32 = 0
                    for p in positions(i) {
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
