/// Reads a posting list written by `PostingsWriter` from a segment's bytes.
///
/// Only the block headers are decoded up front; docs, frequencies and positions are decoded
/// per block, so a query that needs a window of ordinals (the tail) touches only its blocks.
/// Sendable: its bytes are a segment's, read-only and alive while the segment is.
public struct PostingList: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    public let docFreq: Int
    public let hasPositions: Bool
    /// Blocks bit-packed (see `PostingsFormat`), or varints as lists were first written.
    private let packed: Bool
    private(set) var blockLast: [UInt32] = []
    private(set) var blockStart: [Int] = []
    /// Where the last block's bytes end.
    private var bodyEnd = 0
    /// Checks each block's bytes before it is decoded (its headers were checked on reading);
    /// a damaged block decodes as no docs, and the search fails on the segment's damage.
    private var pages: PageVerifier?

    /// What the entry pointing at a list says of it: from format 7, lists have no head.
    struct Shape {
        let docFreq: Int
        let hasPositions: Bool
    }

    /// The list at `offset` of a postings section, of `shape` when it has no head (format 7
    /// on); with `pages`, its headers are checked against their page checksums now and each
    /// block before it is decoded, so a count answered from the headers reads none of the
    /// blocks.
    init(bytes: UnsafeRawBufferPointer, offset: Int, shape: Shape?, pages: PageVerifier? = nil) throws {
        self.bytes = bytes
        self.pages = pages
        if let pages, offset >= 0, offset < bytes.count {
            // The header's first bytes, before they are parsed; the rest below.
            try pages.require(UnsafeRawBufferPointer(rebasing: bytes[offset..<min(bytes.count, offset + 16)]))
        }
        var r = ByteReader(bytes, offset: offset)
        let flags: UInt64
        if let shape {
            guard shape.docFreq >= 1 else { throw DecodeError("posting list of \(shape.docFreq) docs") }
            docFreq = shape.docFreq
            flags = PostingsFormat.packed | (shape.hasPositions ? PostingsFormat.hasPositions : 0)
        } else {
            docFreq = try r.varintInt()
            flags = try r.varint()
        }
        hasPositions = (flags & PostingsFormat.hasPositions) != 0
        if (flags & PostingsFormat.packed) != 0 && docFreq == 1 {
            // Varints with no header: the doc, then (as in a varint block) its positions.
            packed = false
            blockStart = [r.offset]
            blockLast = [UInt32(truncatingIfNeeded: try r.varint())]
            if let pages {
                var end = r
                if hasPositions {
                    let freq = try end.varintInt()
                    for _ in 0..<min(freq, bytes.count) { _ = try end.varint() }
                }
                try pages.require(UnsafeRawBufferPointer(rebasing: bytes[offset..<end.offset]))
                bodyEnd = end.offset
            }
            return
        }
        packed = (flags & PostingsFormat.packed) != 0
        // Every block but the last holds `blockSize` docs (as `blockDocCount` reads them);
        // computed without `docFreq + blockSize`, which a damaged count could overflow.
        let expectedBlocks = docFreq / PostingsFormat.blockSize + (docFreq % PostingsFormat.blockSize == 0 ? 0 : 1)
        let nBlocks = packed ? expectedBlocks : try r.varintInt()
        // A block header takes at least 3 bytes: bounds what is reserved below for a bad count.
        guard nBlocks == expectedBlocks, nBlocks <= (bytes.count - r.offset) / 3 else {
            throw DecodeError("posting list with \(nBlocks) blocks for \(docFreq) docs")
        }
        blockLast.reserveCapacity(nBlocks)
        blockStart.reserveCapacity(nBlocks)
        var last: UInt32 = 0
        var bodyBytes = 0
        for _ in 0..<nBlocks {
            last &+= UInt32(truncatingIfNeeded: try r.varint())
            blockLast.append(last)
            blockStart.append(bodyBytes)
            // Each length bounded first: damaged ones near Int.max must not overflow the sum.
            let docBytes = try r.varintInt()
            let positionBytes = try r.varintInt()
            guard docBytes <= bytes.count, positionBytes <= bytes.count, bodyBytes <= bytes.count else {
                throw DecodeError("posting list block longer than its section")
            }
            bodyBytes += docBytes + positionBytes
        }
        for b in 0..<nBlocks { blockStart[b] += r.offset }
        guard r.offset + bodyBytes <= bytes.count else { throw DecodeError("posting list runs past the section end") }
        try pages?.require(UnsafeRawBufferPointer(rebasing: bytes[offset..<r.offset]))
        bodyEnd = r.offset + bodyBytes
    }

    /// A one-document list written by `PostingsWriter.writeSingle` at `offset` (inside a
    /// dictionary entry).
    init(single bytes: UnsafeRawBufferPointer, offset: Int, hasPositions: Bool) throws {
        self.bytes = bytes
        docFreq = 1
        self.hasPositions = hasPositions
        packed = false
        var r = ByteReader(bytes, offset: offset)
        blockLast = [UInt32(truncatingIfNeeded: try r.varint())]
        blockStart = [offset]
    }

    /// `count` docs as varints at `offset`, the first whole and the rest as gaps: an attribute
    /// value's inline list (`AttributeValueBlocks`), read as one varint block. Its bytes were
    /// checked with the entry holding them.
    init(varintDocs bytes: UnsafeRawBufferPointer, offset: Int, count: Int) throws {
        self.bytes = bytes
        docFreq = count
        hasPositions = false
        packed = false
        var r = ByteReader(bytes, offset: offset)
        var doc: UInt32 = 0
        for k in 0..<count {
            let v = UInt32(truncatingIfNeeded: try r.varint())
            doc = k == 0 ? v : doc &+ v
        }
        blockLast = [doc]
        blockStart = [offset]
        bodyEnd = r.offset
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
    /// Whether block `b`'s bytes are intact (checked the first time any list reads them).
    @inline(__always)
    private func blockIsIntact(_ b: Int) -> Bool {
        guard let pages else { return true }
        let end = b + 1 < blockStart.count ? blockStart[b + 1] : bodyEnd
        return pages.check(bytes.baseAddress! + blockStart[b], count: end - blockStart[b])
    }

    /// Asks for the bytes of the blocks a scan of `range` reads, when they were never read.
    private func prefetch(_ range: Range<UInt32>, from b: Int) {
        guard let pages, b < blockStart.count else { return }
        let last = min(blockStart.count - 1, firstBlock(atOrAfter: range.upperBound &- 1))
        let end = last + 1 < blockStart.count ? blockStart[last + 1] : bodyEnd
        pages.prefetch(bytes.baseAddress! + blockStart[b], count: end - blockStart[b])
    }

    @inline(__always) @discardableResult
    private func forEachDocOfBlock(_ b: Int, _ body: (UInt32) -> Void) -> Int {
        guard blockIsIntact(b) else { return blockStart[b] }
        let p = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var i = blockStart[b]
        let count = blockDocCount(b)
        if packed {
            let first = readVarint32(p, &i)
            var doc = b == 0 ? first : blockLast[b - 1] &+ first
            body(doc)
            // Read in bounds even when damaged (a block always yields its count of docs).
            let width = i < bytes.count ? Int(p[i]) : 0
            i += 1
            BitPacking.forEach(bytes, start: i, count: count - 1, width: width) { gap in
                doc &+= gap &+ 1
                body(doc)
            }
            return i + BitPacking.packedByteCount(count: count - 1, width: width)
        }
        // Varints (lists written before packing, an attribute value's inline docs): read
        // bounds-checked, so damaged bytes stop at the section's end.
        var r = ByteReader(bytes, offset: i)
        var doc: UInt32 = b == 0 ? 0 : blockLast[b - 1]
        for k in 0..<count {
            guard let delta = try? r.varint() else { break }
            doc = (b == 0 && k == 0) ? UInt32(truncatingIfNeeded: delta) : doc &+ UInt32(truncatingIfNeeded: delta)
            body(doc)
        }
        return r.offset
    }

    /// Decodes block `b`'s docs (and frequencies when asked) into the arrays, appending;
    /// returns where the block's positions start when frequencies were decoded.
    @discardableResult
    func decodeBlock(_ b: Int, docs: inout [UInt32], freqs: UnsafeMutablePointer<[UInt32]>? = nil) -> Int {
        // A damaged block adds neither docs nor frequencies (callers pair them by index).
        guard blockIsIntact(b) else { return blockStart[b] }
        let count = blockDocCount(b)
        docs.reserveCapacity(docs.count + count)
        var i = forEachDocOfBlock(b) { docs.append($0) }
        guard let freqs, hasPositions else { return i }
        let p = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        freqs.pointee.reserveCapacity(freqs.pointee.count + count)
        if packed {
            let width = i < bytes.count ? Int(p[i]) : 0
            i += 1
            BitPacking.forEach(bytes, start: i, count: count, width: width) { freqs.pointee.append($0 &+ 1) }
            return i + BitPacking.packedByteCount(count: count, width: width)
        }
        // Varints bounds-checked; a damaged one reads as 0 (as many frequencies as docs).
        var r = ByteReader(bytes, offset: min(i, bytes.count))
        for _ in 0..<count { freqs.pointee.append(UInt32(truncatingIfNeeded: (try? r.varint()) ?? 0)) }
        return r.offset
    }

    /// Appends the docs within `range`, ascending.
    public func docs(in range: Range<UInt32>, into out: inout [UInt32]) {
        guard !range.isEmpty, !blockLast.isEmpty else { return }
        var b = firstBlock(atOrAfter: range.lowerBound)
        prefetch(range, from: b)
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
        prefetch(range, from: b)
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
        if !blockLast.isEmpty { prefetch(0..<(blockLast[blockLast.count - 1] &+ 1), from: 0) }
        for b in 0..<blockLast.count { decodeBlock(b, docs: &out) }
        return out
    }

    /// The positions of each of `docs` (ascending), empty where the term is not in the doc,
    /// in one buffer. Blocks without a wanted doc are not decoded.
    public func positions(of docs: [UInt32]) -> PositionRuns {
        var out = PositionRuns()
        out.starts.reserveCapacity(docs.count + 1)
        guard hasPositions, !docs.isEmpty, !blockLast.isEmpty else {
            out.starts.append(contentsOf: repeatElement(0, count: docs.count))
            return out
        }
        let p = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var blockDocs: [UInt32] = []
        var freqs: [UInt32] = []
        var j = 0
        var r = ByteReader(bytes)
        while j < docs.count {
            let firstWanted = j
            let b = firstBlock(atOrAfter: docs[j])
            if b >= blockLast.count { break }
            blockDocs.removeAll(keepingCapacity: true)
            freqs.removeAll(keepingCapacity: true)
            var i = withUnsafeMutablePointer(to: &freqs) { decodeBlock(b, docs: &blockDocs, freqs: $0) }
            // Packed: every position gap of the block above one base; varint: gap by gap.
            var base: UInt32 = 0
            var width = 0
            // Damaged frequencies decode no more positions than a line holds, nor (packed)
            // than the block's bytes: a block past either bound reads as positions of none.
            var total = freqs.reduce(0) { $0 + Int($1) }
            if packed {
                base = readVarint32(p, &i)
                width = i < bytes.count ? Int(p[i]) : 0
                i += 1
                let end = b + 1 < blockStart.count ? blockStart[b + 1] : bodyEnd
                if width > 0 && total * min(width, 32) > max(0, end - i) * 8 { total = -1 }
            } else {
                r.offset = min(i, bytes.count)
            }
            let intact = total >= 0 && freqs.count == blockDocs.count && freqs.allSatisfy { $0 <= PostingsFormat.maxFrequency }
            var index = 0
            for (k, d) in blockDocs.enumerated() {
                let f = intact ? Int(freqs[k]) : 0
                while j < docs.count && docs[j] < d {
                    out.starts.append(out.values.count)  // not in this list
                    j += 1
                }
                if j < docs.count && docs[j] == d {
                    var prev: UInt32 = 0
                    for t in 0..<f {
                        prev &+=
                            packed
                            ? base &+ BitPacking.value(bytes, start: i, index: index + t, width: width)
                            : UInt32(truncatingIfNeeded: (try? r.varint()) ?? 0)
                        out.values.append(prev)
                    }
                    out.starts.append(out.values.count)
                    j += 1
                } else if !packed {
                    for _ in 0..<f { _ = try? r.varint() }
                }
                index += f
            }
            // Every wanted doc up to this block's last has been seen: j moved past one at least.
            // Unless the block is damaged (its docs run past its header's last): the one left
            // is not in the list, and the walk must move on (it would land here again).
            if j == firstWanted {
                out.starts.append(out.values.count)
                j += 1
            }
        }
        while out.starts.count <= docs.count { out.starts.append(out.values.count) }
        return out
    }

    /// Every doc with its positions, for a merge: each doc goes through `remap` (nil leaves it
    /// out; what it returns must ascend) and is appended to `out` with its positions (absolute
    /// within the doc; `out.starts` gets where each doc's begin, not the final end). `blockDocs`
    /// and `freqs` are scratch. False when a block is damaged or its frequencies or positions
    /// do not fit its bytes: nothing appended may then be used.
    func decodeAll(
        remap: (UInt32) -> UInt32?, into out: inout DecodedPostings, blockDocs: inout [UInt32], freqs: inout [UInt32]
    ) -> Bool {
        guard hasPositions else { return false }
        for b in 0..<blockLast.count {
            guard blockIsIntact(b) else { return false }
            blockDocs.removeAll(keepingCapacity: true)
            freqs.removeAll(keepingCapacity: true)
            let i = withUnsafeMutablePointer(to: &freqs) { decodeBlock(b, docs: &blockDocs, freqs: $0) }
            guard freqs.count == blockDocs.count, blockDocs.count == blockDocCount(b), i <= bytes.count else { return false }
            var total = 0
            for f in freqs {
                guard f >= 1, f <= PostingsFormat.maxFrequency else { return false }
                total += Int(f)
            }
            let end = b + 1 < blockStart.count ? blockStart[b + 1] : (bodyEnd > 0 ? bodyEnd : bytes.count)
            if packed {
                // Every position gap of the block above one base, bit-packed.
                var r = ByteReader(bytes, offset: i)
                guard let base = try? r.varint(), let w = try? r.u8(), w <= 32 else { return false }
                let width = Int(w)
                let start = r.offset
                guard start + BitPacking.packedByteCount(count: total, width: width) <= end else { return false }
                let step = UInt32(truncatingIfNeeded: base)
                var index = 0
                for (k, d) in blockDocs.enumerated() {
                    let f = Int(freqs[k])
                    if let mapped = remap(d) {
                        out.docs.append(mapped)
                        out.starts.append(out.positions.count)
                        var position: UInt32 = 0
                        for t in 0..<f {
                            position &+= step &+ BitPacking.value(bytes, start: start, index: index + t, width: width)
                            out.positions.append(position)
                        }
                    }
                    index += f
                }
            } else {
                // Varints, gap by gap (one-document lists, lists written before packing).
                var r = ByteReader(bytes, offset: i)
                for (k, d) in blockDocs.enumerated() {
                    let mapped = remap(d)
                    if let mapped {
                        out.docs.append(mapped)
                        out.starts.append(out.positions.count)
                    }
                    var position: UInt32 = 0
                    for _ in 0..<Int(freqs[k]) {
                        guard let gap = try? r.varint() else { return false }
                        position &+= UInt32(truncatingIfNeeded: gap)
                        if mapped != nil { out.positions.append(position) }
                    }
                }
            }
        }
        return true
    }

    /// Docs within `range` with their term frequency (for ranking).
    public func docsWithFrequencies(in range: Range<UInt32>) -> [(doc: UInt32, freq: UInt32)] {
        var out: [(UInt32, UInt32)] = []
        guard !range.isEmpty, !blockLast.isEmpty else { return out }
        var b = firstBlock(atOrAfter: range.lowerBound)
        prefetch(range, from: b)
        var docs: [UInt32] = []
        var freqs: [UInt32] = []
        while b < blockLast.count {
            docs.removeAll(keepingCapacity: true)
            freqs.removeAll(keepingCapacity: true)
            _ = withUnsafeMutablePointer(to: &freqs) { decodeBlock(b, docs: &docs, freqs: $0) }
            for (k, d) in docs.enumerated() where d >= range.lowerBound && d < range.upperBound {
                out.append((d, hasPositions ? freqs[k] : 1))
            }
            if blockLast[b] >= range.upperBound { break }
            b += 1
        }
        return out
    }
}

/// Positions of several documents in one buffer (no array per document): document `j`'s
/// are `values[starts[j]..<starts[j + 1]]`.
public struct PositionRuns: Sendable {
    public var values: [UInt32] = []
    public var starts: [Int] = [0]

    public var count: Int { starts.count - 1 }

    public subscript(_ j: Int) -> ArraySlice<UInt32> { values[starts[j]..<starts[j + 1]] }
}
