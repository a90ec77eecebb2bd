/// Reads a posting list written by `PostingsWriter` from a segment's bytes.
///
/// Only the block headers are decoded up front; docs, frequencies and positions are decoded
/// per block, so a query that needs a window of ordinals (the tail) touches only its blocks.
public struct PostingList {
    let bytes: UnsafeRawBufferPointer
    public let docFreq: Int
    public let hasPositions: Bool
    private(set) var blockLast: [UInt32] = []
    private(set) var blockStart: [Int] = []
    private(set) var blockDocBytes: [Int] = []
    private(set) var blockPosBytes: [Int] = []

    init(bytes: UnsafeRawBufferPointer, offset: Int) throws {
        self.bytes = bytes
        var r = ByteReader(bytes, offset: offset)
        docFreq = try r.varintInt()
        hasPositions = (try r.varint() & PostingsFormat.hasPositions) != 0
        let nBlocks = try r.varintInt()
        guard nBlocks <= docFreq else { throw DecodeError("posting list with \(nBlocks) blocks for \(docFreq) docs") }
        blockLast.reserveCapacity(nBlocks)
        blockDocBytes.reserveCapacity(nBlocks)
        blockPosBytes.reserveCapacity(nBlocks)
        var last: UInt32 = 0
        for _ in 0..<nBlocks {
            last &+= UInt32(truncatingIfNeeded: try r.varint())
            blockLast.append(last)
            blockDocBytes.append(try r.varintInt())
            blockPosBytes.append(try r.varintInt())
        }
        var at = r.offset
        blockStart.reserveCapacity(nBlocks)
        for b in 0..<nBlocks {
            blockStart.append(at)
            at += blockDocBytes[b] + blockPosBytes[b]
        }
        guard at <= bytes.count else { throw DecodeError("posting list runs past the section end") }
    }

    public var blockCount: Int { blockLast.count }

    func blockDocCount(_ b: Int) -> Int {
        b == blockLast.count - 1 ? docFreq - b * PostingsFormat.blockSize : PostingsFormat.blockSize
    }

    /// The first block whose last doc is >= `doc`.
    func firstBlock(atOrAfter doc: UInt32) -> Int {
        var lo = 0
        var hi = blockLast.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if blockLast[mid] < doc { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Walks block `b`'s docs in order, decoding straight from the bytes; returns the offset
    /// just after them, where the block's frequencies start.
    @inline(__always) @discardableResult
    private func forEachDocOfBlock(_ b: Int, _ body: (UInt32) -> Void) -> Int {
        let p = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var i = blockStart[b]
        var doc: UInt32 = b == 0 ? 0 : blockLast[b - 1]
        for k in 0..<blockDocCount(b) {
            let delta = readVarint32(p, &i)
            doc = (b == 0 && k == 0) ? delta : doc &+ delta
            body(doc)
        }
        return i
    }

    /// Decodes block `b`'s docs (and frequencies when asked) into the arrays, appending.
    func decodeBlock(_ b: Int, docs: inout [UInt32], freqs: UnsafeMutablePointer<[UInt32]>? = nil) {
        var i = forEachDocOfBlock(b) { docs.append($0) }
        if let freqs, hasPositions {
            let p = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
            for _ in 0..<blockDocCount(b) { freqs.pointee.append(readVarint32(p, &i)) }
        }
    }

    /// Appends the docs within `range`, ascending.
    public func docs(in range: Range<UInt32>, into out: inout [UInt32]) {
        guard !range.isEmpty, !blockLast.isEmpty else { return }
        var b = firstBlock(atOrAfter: range.lowerBound)
        var scratch: [UInt32] = []
        scratch.reserveCapacity(PostingsFormat.blockSize)
        while b < blockLast.count {
            scratch.removeAll(keepingCapacity: true)
            decodeBlock(b, docs: &scratch)
            for d in scratch where d >= range.lowerBound {
                if d >= range.upperBound { return }
                out.append(d)
            }
            if blockLast[b] >= range.upperBound { return }
            b += 1
        }
    }

    /// Calls `body` with each doc of `range`, ascending, without arrays: what counting needs.
    @inline(__always)
    func forEachDoc(in range: Range<UInt32>, _ body: (UInt32) -> Void) {
        guard !range.isEmpty, !blockLast.isEmpty else { return }
        var b = firstBlock(atOrAfter: range.lowerBound)
        while b < blockLast.count {
            if blockInside(b, range) {
                forEachDocOfBlock(b, body)
            } else {
                forEachDocOfBlock(b) { if range.contains($0) { body($0) } }
            }
            if blockLast[b] >= range.upperBound { return }
            b += 1
        }
    }

    /// How many docs fall in `range`; blocks wholly inside it are counted from their headers.
    func count(in range: Range<UInt32>) -> Int {
        var total = 0
        guard !range.isEmpty, !blockLast.isEmpty else { return 0 }
        var b = firstBlock(atOrAfter: range.lowerBound)
        while b < blockLast.count {
            if blockInside(b, range) {
                total += blockDocCount(b)
            } else {
                forEachDocOfBlock(b) { if range.contains($0) { total += 1 } }
            }
            if blockLast[b] >= range.upperBound { break }
            b += 1
        }
        return total
    }

    /// True when every doc of block `b` lies in `range` (they all lie above the previous
    /// block's last doc).
    @inline(__always)
    private func blockInside(_ b: Int, _ range: Range<UInt32>) -> Bool {
        let lowest: UInt32 = b == 0 ? 0 : blockLast[b - 1] + 1
        return lowest >= range.lowerBound && blockLast[b] < range.upperBound
    }

    /// Sets bit `doc - range.lowerBound` for each doc of `range`.
    func mark(in range: Range<UInt32>, bits: UnsafeMutableBufferPointer<UInt64>) {
        let base = range.lowerBound
        forEachDoc(in: range) { d in
            let k = Int(d &- base)
            bits[k >> 6] |= 1 << UInt64(k & 63)
        }
    }

    /// Every doc, ascending.
    public func allDocs() -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(docFreq)
        for b in 0..<blockLast.count { decodeBlock(b, docs: &out) }
        return out
    }

    /// The positions of each of `docs` (ascending), empty where the term is not in the doc.
    /// Blocks without a wanted doc are not decoded, and only wanted docs get arrays.
    public func positions(of docs: [UInt32]) -> [[UInt32]] {
        var out = [[UInt32]](repeating: [], count: docs.count)
        guard hasPositions, !docs.isEmpty, !blockLast.isEmpty else { return out }
        let p = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var blockDocs: [UInt32] = []
        var freqs: [UInt32] = []
        var j = 0
        while j < docs.count {
            let b = firstBlock(atOrAfter: docs[j])
            if b >= blockLast.count { break }
            blockDocs.removeAll(keepingCapacity: true)
            freqs.removeAll(keepingCapacity: true)
            withUnsafeMutablePointer(to: &freqs) { decodeBlock(b, docs: &blockDocs, freqs: $0) }
            var i = blockStart[b] + blockDocBytes[b]
            for (k, d) in blockDocs.enumerated() {
                let f = Int(freqs[k])
                while j < docs.count && docs[j] < d { j += 1 }
                if j < docs.count && docs[j] == d {
                    var pos: [UInt32] = []
                    pos.reserveCapacity(f)
                    var prev: UInt32 = 0
                    for _ in 0..<f {
                        prev &+= readVarint32(p, &i)
                        pos.append(prev)
                    }
                    out[j] = pos
                    j += 1
                } else {
                    for _ in 0..<f { _ = readVarint32(p, &i) }
                }
            }
            // Every wanted doc up to this block's last has been seen: j moved past it.
        }
        return out
    }

    /// Docs within `range` with their term frequency (for ranking).
    public func docsWithFrequencies(in range: Range<UInt32>) -> [(doc: UInt32, freq: UInt32)] {
        var out: [(UInt32, UInt32)] = []
        guard !range.isEmpty, !blockLast.isEmpty else { return out }
        var b = firstBlock(atOrAfter: range.lowerBound)
        var docs: [UInt32] = []
        var freqs: [UInt32] = []
        while b < blockLast.count {
            docs.removeAll(keepingCapacity: true)
            freqs.removeAll(keepingCapacity: true)
            withUnsafeMutablePointer(to: &freqs) { decodeBlock(b, docs: &docs, freqs: $0) }
            for (k, d) in docs.enumerated() where d >= range.lowerBound && d < range.upperBound {
                out.append((d, hasPositions ? freqs[k] : 1))
            }
            if blockLast[b] >= range.upperBound { break }
            b += 1
        }
        return out
    }
}
