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
        if nBlocks == 1 {
            writeSingleBlock(docs: docs, positions: positions, starts: starts, to: &out)
            return
        }
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

    /// The same bytes for a list of one block (nearly every term of a segment has few docs),
    /// written straight to `out`: the block's sizes are counted first instead of staging it.
    private func writeSingleBlock(
        docs: UnsafeBufferPointer<UInt32>,
        positions: UnsafeBufferPointer<UInt32>?,
        starts: UnsafeBufferPointer<Int>?,
        to out: inout ByteWriter
    ) {
        let n = docs.count
        var docBytes = PostingsWriter.varintSize(UInt64(docs[0]))
        for i in 1..<n { docBytes += PostingsWriter.varintSize(UInt64(docs[i] - docs[i - 1])) }
        var positionBytes = 0
        if let positions, let starts {
            for i in 0..<n {
                docBytes += PostingsWriter.varintSize(UInt64(starts[i + 1] - starts[i]))
                var prev: UInt32 = 0
                for k in starts[i]..<starts[i + 1] {
                    positionBytes += PostingsWriter.varintSize(UInt64(positions[k] - prev))
                    prev = positions[k]
                }
            }
        }
        out.varint(docs[n - 1])
        out.varint(docBytes)
        out.varint(positionBytes)
        out.varint(docs[0])
        for i in 1..<n { out.varint(docs[i] - docs[i - 1]) }
        if let positions, let starts {
            for i in 0..<n { out.varint(starts[i + 1] - starts[i]) }
            for i in 0..<n {
                var prev: UInt32 = 0
                for k in starts[i]..<starts[i + 1] {
                    out.varint(positions[k] - prev)
                    prev = positions[k]
                }
            }
        }
    }

    @inline(__always)
    static func varintSize(_ v: UInt64) -> Int {
        (64 - (v | 1).leadingZeroBitCount + 6) / 7
    }
}
