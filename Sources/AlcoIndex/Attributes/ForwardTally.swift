/// How many docs of a segment have each first string value of a js key (forward rank, 0 =
/// none) and the newest such doc: a GROUP BY over the whole segment reads this instead of
/// the forward column.
struct ForwardTally: Sendable {
    var counts: [Int]
    var newest: [UInt32]

    /// Section bytes: varint keys; per key its name, varint ranks, then per rank varint count
    /// and varint newest ordinal.
    static func encode(_ tallies: [(String, ForwardTally)]) -> [UInt8] {
        var out = ByteWriter()
        out.varint(tallies.count)
        for (key, t) in tallies {
            out.string(key)
            out.varint(t.counts.count)
            for r in t.counts.indices {
                out.varint(t.counts[r])
                out.varint(t.newest[r])
            }
        }
        return out.take()
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, docCount: Int) throws -> [String: ForwardTally] {
        var r = ByteReader(bytes)
        let n = try r.varintInt()
        guard n <= bytes.count else { throw DecodeError("\(n) forward tallies in \(bytes.count) bytes") }
        var out: [String: ForwardTally] = [:]
        for _ in 0..<n {
            let key = try r.string()
            let ranks = try r.varintInt()
            guard ranks <= bytes.count else { throw DecodeError("a tally of \(ranks) ranks in \(bytes.count) bytes") }
            var t = ForwardTally(counts: [], newest: [])
            t.counts.reserveCapacity(ranks)
            t.newest.reserveCapacity(ranks)
            for _ in 0..<ranks {
                let c = try r.varintInt()
                let newest = try r.varintInt()
                guard c <= docCount, newest < max(docCount, 1) else { throw DecodeError("a tally past the segment's \(docCount) docs") }
                t.counts.append(c)
                t.newest.append(UInt32(newest))
            }
            out[key] = t
        }
        return out
    }
}
