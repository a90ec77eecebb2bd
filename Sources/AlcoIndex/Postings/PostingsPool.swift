/// Accumulates every term's occurrences while a segment is built, as varint streams in
/// slices of one byte pool (Lucene's byte-block idea): about 2–3 bytes per occurrence and
/// no allocation per term, where arrays of (term, doc, position) took 12.
///
/// A term's stream holds, per occurrence, `varint(docDelta << 1 | 1)` then `varint(position)`
/// when the occurrence starts a new doc, else `varint(positionDelta << 1)`.
struct PostingsPool {
    static let sliceSizes: [Int32] = [16, 32, 64, 128, 256, 512, 1024]
    private(set) var pool: [UInt8] = []
    private var head: [Int32] = []
    private var tail: [Int32] = []
    private var sliceEnd: [Int32] = []
    private var level: [UInt8] = []
    private var lastDoc: [UInt32] = []
    private var lastPos: [UInt32] = []
    private(set) var docFreq: [UInt32] = []

    init(expectedBytes: Int = 1 << 20) {
        pool.reserveCapacity(expectedBytes)
    }

    var termCount: Int { head.count }

    mutating func addTerm() {
        let start = Int32(pool.count)
        pool.append(contentsOf: repeatElement(0, count: Int(PostingsPool.sliceSizes[0])))
        head.append(start)
        tail.append(start)
        sliceEnd.append(start + PostingsPool.sliceSizes[0] - 4)
        level.append(0)
        lastDoc.append(0)
        lastPos.append(0)
        docFreq.append(0)
    }

    @inline(__always)
    mutating func add(term t: Int, doc: UInt32, position: UInt32) {
        if docFreq[t] == 0 || doc != lastDoc[t] {
            let delta = docFreq[t] == 0 ? UInt64(doc) : UInt64(doc - lastDoc[t])
            writeVarint(t, delta << 1 | 1)
            writeVarint(t, UInt64(position))
            docFreq[t] += 1
            lastDoc[t] = doc
        } else {
            writeVarint(t, UInt64(position &- lastPos[t]) << 1)
        }
        lastPos[t] = position
    }

    @inline(__always)
    private mutating func writeVarint(_ t: Int, _ value: UInt64) {
        var v = value
        while v >= 0x80 {
            writeByte(t, UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        writeByte(t, UInt8(v))
    }

    @inline(__always)
    private mutating func writeByte(_ t: Int, _ b: UInt8) {
        if tail[t] == sliceEnd[t] {
            let next = min(Int(level[t]) + 1, PostingsPool.sliceSizes.count - 1)
            let size = PostingsPool.sliceSizes[next]
            let start = Int32(pool.count)
            pool.append(contentsOf: repeatElement(0, count: Int(size)))
            let at = Int(sliceEnd[t])
            withUnsafeBytes(of: start.littleEndian) { raw in
                for k in 0..<4 { pool[at + k] = raw[k] }
            }
            level[t] = UInt8(next)
            tail[t] = start
            sliceEnd[t] = start + size - 4
        }
        pool[Int(tail[t])] = b
        tail[t] += 1
    }

    /// Decodes term `t` into its docs (ascending) and each doc's positions.
    func decode(_ t: Int, docs: inout [UInt32], positionStarts: inout [Int], positions: inout [UInt32]) {
        docs.removeAll(keepingCapacity: true)
        positionStarts.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
        pool.withUnsafeBytes { p in
            var at = Int(head[t])
            var lvl = 0
            var end = at + Int(PostingsPool.sliceSizes[0]) - 4
            let stop = Int(tail[t])
            @inline(__always) func byte() -> UInt8 {
                if at == end {
                    let next = Int(Int32(littleEndian: p.loadUnaligned(fromByteOffset: at, as: Int32.self)))
                    lvl = min(lvl + 1, PostingsPool.sliceSizes.count - 1)
                    at = next
                    end = next + Int(PostingsPool.sliceSizes[lvl]) - 4
                }
                let b = p[at]
                at += 1
                return b
            }
            @inline(__always) func varint() -> UInt64 {
                var result: UInt64 = 0
                var shift: UInt64 = 0
                while true {
                    let b = byte()
                    result |= UInt64(b & 0x7f) << shift
                    if b < 0x80 { return result }
                    shift += 7
                }
            }
            var doc: UInt32 = 0
            var pos: UInt32 = 0
            var first = true
            while at != stop {
                let v = varint()
                if v & 1 == 1 {
                    doc = first ? UInt32(v >> 1) : doc + UInt32(v >> 1)
                    first = false
                    pos = UInt32(varint())
                    docs.append(doc)
                    positionStarts.append(positions.count)
                } else {
                    pos &+= UInt32(v >> 1)
                }
                positions.append(pos)
            }
        }
        positionStarts.append(positions.count)
    }
}
