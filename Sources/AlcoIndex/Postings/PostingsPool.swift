import CSupport

/// Accumulates every term's occurrences while a segment is built, as varint streams in
/// slices of one byte pool (Lucene's byte-block idea): about 2–3 bytes per occurrence and
/// no allocation per term, where arrays of (term, doc, position) took 12.
///
/// A term's stream holds, per occurrence, `varint(docDelta << 1 | 1)` then `varint(position)`
/// when the occurrence starts a new doc, else `varint(positionDelta << 1)`.
///
/// A term's running state is one 32-byte record, so a rare term's occurrence costs one cache
/// miss for its state (where parallel arrays took one per field) and one for its slice.
struct PostingsPool: ~Copyable {
    static let sliceSizes: [Int32] = [16, 32, 64, 128, 256, 512, 1024]

    struct TermState {
        var head: Int32
        var tail: Int32
        var sliceEnd: Int32
        var lastDoc: UInt32
        var lastPos: UInt32
        var docFreq: UInt32
        var level: UInt32
        var unused: UInt32 = 0
    }

    private(set) var pool: GrowableBuffer<UInt8>
    private var states: GrowableBuffer<TermState>

    init(expectedBytes: Int = 1 << 20) {
        pool = GrowableBuffer(capacity: max(64, expectedBytes))
        states = GrowableBuffer(capacity: 1 << 12)
    }

    var termCount: Int { states.count }
    var poolBytes: Int { pool.count }

    @inline(__always)
    func docFreq(_ t: Int) -> UInt32 { states[t].docFreq }

    /// Starts loading term `t`'s running state and the pool line its next byte goes to.
    @inline(__always)
    func prefetch(term t: Int) {
        alco_prefetch(states.base + t)
    }

    @inline(__always)
    func prefetchHead(term t: Int) {
        alco_prefetch(pool.base + Int(states[t].head))
    }

    @inline(__always)
    func prefetchTail(term t: Int) {
        alco_prefetch(pool.base + Int(states[t].tail))
    }

    mutating func addTerm() {
        let size = Int(PostingsPool.sliceSizes[0])
        let start = Int32(pool.append(repeating: 0, count: size))
        states.append(TermState(head: start, tail: start, sliceEnd: start + Int32(size) - 4, lastDoc: 0, lastPos: 0, docFreq: 0, level: 0))
    }

    @inline(__always)
    mutating func add(term t: Int, doc: UInt32, position: UInt32) {
        // In place: a copied-out state written back whole stalled on store forwarding.
        let s = states.base + t
        if s.pointee.docFreq == 0 || doc != s.pointee.lastDoc {
            let delta = s.pointee.docFreq == 0 ? UInt64(doc) : UInt64(doc - s.pointee.lastDoc)
            writeVarint(&s.pointee, delta << 1 | 1)
            writeVarint(&s.pointee, UInt64(position))
            s.pointee.docFreq += 1
            s.pointee.lastDoc = doc
        } else {
            writeVarint(&s.pointee, UInt64(position &- s.pointee.lastPos) << 1)
        }
        s.pointee.lastPos = position
    }

    @inline(__always)
    private mutating func writeVarint(_ s: inout TermState, _ value: UInt64) {
        var v = value
        while v >= 0x80 {
            writeByte(&s, UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        writeByte(&s, UInt8(v))
    }

    @inline(__always)
    private mutating func writeByte(_ s: inout TermState, _ b: UInt8) {
        if s.tail == s.sliceEnd { nextSlice(&s) }
        pool[Int(s.tail)] = b
        s.tail += 1
    }

    /// Chains a new, bigger slice after the full one; its last 4 bytes become the link.
    private mutating func nextSlice(_ s: inout TermState) {
        let next = min(Int(s.level) + 1, PostingsPool.sliceSizes.count - 1)
        let size = PostingsPool.sliceSizes[next]
        let start = Int32(pool.append(repeating: 0, count: Int(size)))
        UnsafeMutableRawPointer(pool.base + Int(s.sliceEnd)).storeBytes(of: start.littleEndian, as: Int32.self)
        s.level = UInt32(next)
        s.tail = start
        s.sliceEnd = start + size - 4
    }

    /// Term `t`'s doc and position when it occurred once in the segment (most terms), else
    /// nil. Its two varints (at most 10 bytes) are in its first slice (12 bytes before the
    /// link); any further occurrence leaves the tail past them.
    @inline(__always)
    func onlyOccurrence(_ t: Int) -> (doc: UInt32, position: UInt32)? {
        let s = states[t]
        guard s.docFreq == 1 else { return nil }
        var at = Int(s.head)
        let first = readVarint64(pool.base, &at)
        let position = readVarint64(pool.base, &at)
        guard at == Int(s.tail) else { return nil }
        return (UInt32(truncatingIfNeeded: first >> 1), UInt32(truncatingIfNeeded: position))
    }

    /// Decodes term `t` into `out`: its docs (ascending) and each doc's positions.
    func decode(_ t: Int, into out: inout DecodedPostings) {
        out.removeAll()
        let s = states[t]
        let p = pool.base
        var at = Int(s.head)
        var lvl = 0
        var end = at + Int(PostingsPool.sliceSizes[0]) - 4
        let stop = Int(s.tail)
        @inline(__always) func byte() -> UInt8 {
            if at == end {
                let next = Int(Int32(littleEndian: UnsafeRawPointer(p + at).loadUnaligned(as: Int32.self)))
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
                out.docs.append(doc)
                out.starts.append(out.positions.count)
            } else {
                pos &+= UInt32(v >> 1)
            }
            out.positions.append(pos)
        }
        out.starts.append(out.positions.count)
    }
}

/// One term's decoded postings: doc `i`'s positions are `positions[starts[i]..<starts[i + 1]]`.
/// Reused for every term of a segment.
struct DecodedPostings: ~Copyable {
    var docs = GrowableBuffer<UInt32>(capacity: 1024)
    var starts = GrowableBuffer<Int>(capacity: 1024)
    var positions = GrowableBuffer<UInt32>(capacity: 1024)

    init() {}

    mutating func removeAll() {
        docs.removeAll()
        starts.removeAll()
        positions.removeAll()
    }
}
