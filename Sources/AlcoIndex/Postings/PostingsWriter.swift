/// Serializes one posting list: doc ordinals in blocks of 128 behind block headers (last
/// doc, byte lengths) so readers can jump to, or walk backwards from, any block; term
/// frequencies and positions follow each block's docs so doc-only queries skip them.
///
/// A block stores its first doc as a varint gap and the rest bit-packed at the width of the
/// block's widest gap (so a word in every document needs no bits per doc), then frequencies
/// minus one bit-packed (usually width 0), then every position gap of the block bit-packed
/// above their minimum (a js value sits at the same position in every document: width 0).
/// A one-document list is varints with no header. Lists written before packing (flag clear)
/// keep their varint layout and are still read.
///
/// Before format 7 a list starts with its doc count and flags (`hasPositions`, `packed`).
/// From format 7 it starts with its first block's header: the entry pointing at it has the
/// count, every list is packed, and term lists have positions where attribute lists have
/// none (`PostingList.Shape`), so the two varints were said twice (~2 MB per million lines).
enum PostingsFormat {
    static let blockSize = 128
    /// More occurrences of a word in one document than a line of the longest kind (16 MiB)
    /// holds: a frequency above it is damage.
    static let maxFrequency: UInt32 = 1 << 24
    static let hasPositions: UInt64 = 1
    static let packed: UInt64 = 2
}

/// Writes posting lists one after another, reusing its scratch buffers (a segment has
/// millions of terms: no allocation per list).
struct PostingsWriter {
    private var blockDocs = ByteWriter(capacity: 512)
    private var blockPos = ByteWriter(capacity: 512)
    private var headers = ByteWriter(capacity: 1024)
    private var bodies = ByteWriter(capacity: 1 << 16)

    init() {}

    /// Appends the list for `docs` (ascending), without a head (format 7); with positions, doc
    /// `i`'s positions are `positions[starts[i]..<starts[i + 1]]`.
    mutating func write(
        docs: UnsafeBufferPointer<UInt32>,
        positions: UnsafeBufferPointer<UInt32>?,
        starts: UnsafeBufferPointer<Int>?,
        to out: inout ByteWriter
    ) {
        let n = docs.count
        if n == 1 {
            PostingsWriter.writeSingle(doc: docs[0], positions: positions, starts: starts, to: &out)
            return
        }
        let nBlocks = (n + PostingsFormat.blockSize - 1) / PostingsFormat.blockSize
        // Every header precedes every body, so a longer list stages both; a one-block list
        // (most terms of a segment) goes straight to `out`.
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

    /// A one-document list: the doc, its frequency and position gaps, as varints (also how
    /// a dictionary entry holds its one-document term's postings).
    static func writeSingle(
        doc: UInt32, positions: UnsafeBufferPointer<UInt32>?, starts: UnsafeBufferPointer<Int>?,
        to out: inout ByteWriter
    ) {
        out.varint(doc)
        guard let positions, let starts else { return }
        out.varint(starts[1] - starts[0])
        var prev: UInt32 = 0
        for k in starts[0]..<starts[1] {
            out.varint(positions[k] - prev)
            prev = positions[k]
        }
    }

    /// `writeSingle`'s layout for a doc with one position, staged at `p + i` (at most 11 bytes).
    @inline(__always)
    static func writeSingle(doc: UInt32, position: UInt32, _ p: UnsafeMutablePointer<UInt8>, _ i: inout Int) {
        writeVarint(UInt64(doc), p, &i)
        writeVarint(1, p, &i)
        writeVarint(UInt64(position), p, &i)
    }

    /// A block's header: its last doc (as a delta from the previous block's), body sizes.
    private func writeHeader(last: UInt32, to out: inout ByteWriter) {
        out.varint(last)
        out.varint(blockDocs.count)
        out.varint(blockPos.count)
    }

    /// Encodes `docs[range]` into `blockDocs` (doc gaps, then frequencies) and `blockPos`
    /// (the position gaps of each doc in turn). Each run is walked twice, for its width and
    /// to pack it, rather than staged.
    private mutating func encodeBlock(
        _ range: Range<Int>, docs: UnsafeBufferPointer<UInt32>, positions: UnsafeBufferPointer<UInt32>?,
        starts: UnsafeBufferPointer<Int>?
    ) {
        blockDocs.reset()
        blockPos.reset()
        let lo = range.lowerBound
        let rest = lo + 1..<range.upperBound
        blockDocs.varint(lo == 0 ? docs[0] : docs[lo] - docs[lo - 1])
        var widest: UInt32 = 0
        for i in rest { widest |= docs[i] - docs[i - 1] - 1 }
        var packer = BitPacker(width: BitPacking.width(of: widest), to: &blockDocs)
        for i in rest { packer.add(docs[i] - docs[i - 1] - 1, to: &blockDocs) }
        packer.finish(to: &blockDocs)
        guard let positions, let starts else { return }
        widest = 0
        for i in range { widest |= UInt32(starts[i + 1] - starts[i] - 1) }
        packer = BitPacker(width: BitPacking.width(of: widest), to: &blockDocs)
        for i in range { packer.add(UInt32(starts[i + 1] - starts[i] - 1), to: &blockDocs) }
        packer.finish(to: &blockDocs)
        // Position gaps: the first of a doc is its position, the others the gap to the previous.
        let all = starts[lo]..<starts[range.upperBound]
        var base = UInt32.max
        widest = 0
        var doc = lo
        for k in all {
            while k == starts[doc + 1] { doc += 1 }
            let gap = k == starts[doc] ? positions[k] : positions[k] - positions[k - 1]
            base = min(base, gap)
            widest = max(widest, gap)
        }
        blockPos.varint(base)
        packer = BitPacker(width: BitPacking.width(of: widest - base), to: &blockPos)
        doc = lo
        for k in all {
            while k == starts[doc + 1] { doc += 1 }
            let gap = k == starts[doc] ? positions[k] : positions[k] - positions[k - 1]
            packer.add(gap - base, to: &blockPos)
        }
        packer.finish(to: &blockPos)
    }
}
