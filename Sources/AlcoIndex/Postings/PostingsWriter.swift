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
        // Every header precedes every body, so a longer list stages both; a one-block list
        // (nearly every term of a segment) goes straight to `out`.
        if nBlocks == 1 {
            encodeBlock(0..<n, docs: docs, positions: positions, starts: starts)
            writeHeader(last: docs[n - 1], to: &out)
            out.append(contentsOf: blockDocs.bytes)
            out.append(contentsOf: blockPos.bytes)
            return
        }
        headers.reset()
        bodies.reset()
        var prevLast: UInt32 = 0
        for b in 0..<nBlocks {
            let lo = b * PostingsFormat.blockSize
            let hi = min(n, lo + PostingsFormat.blockSize)
            encodeBlock(lo..<hi, docs: docs, positions: positions, starts: starts)
            writeHeader(last: docs[hi - 1] - prevLast, to: &headers)
            prevLast = docs[hi - 1]
            bodies.append(contentsOf: blockDocs.bytes)
            bodies.append(contentsOf: blockPos.bytes)
        }
        out.append(contentsOf: headers.bytes)
        out.append(contentsOf: bodies.bytes)
    }

    /// A block's header: its last doc (as a delta from the previous block's), body sizes.
    private func writeHeader(last: UInt32, to out: inout ByteWriter) {
        out.varint(last)
        out.varint(blockDocs.count)
        out.varint(blockPos.count)
    }

    /// Encodes `docs[range]` into `blockDocs` (doc deltas, then frequencies) and `blockPos`
    /// (each doc's position deltas).
    private mutating func encodeBlock(
        _ range: Range<Int>, docs: UnsafeBufferPointer<UInt32>, positions: UnsafeBufferPointer<UInt32>?,
        starts: UnsafeBufferPointer<Int>?
    ) {
        blockDocs.reset()
        blockPos.reset()
        for i in range { blockDocs.varint(i == 0 ? docs[0] : docs[i] - docs[i - 1]) }
        guard let positions, let starts else { return }
        for i in range { blockDocs.varint(starts[i + 1] - starts[i]) }
        for i in range {
            var prev: UInt32 = 0
            for k in starts[i]..<starts[i + 1] {
                blockPos.varint(positions[k] - prev)
                prev = positions[k]
            }
        }
    }
}
