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

    /// One key's tally (its name, then ranks), at the reader's offset.
    static func decodeOne(_ r: inout ByteReader, docCount: Int) throws -> ForwardTally {
        _ = try r.blob()
        let ranks = try r.varintInt()
        guard ranks <= r.remaining else { throw DecodeError("a tally of \(ranks) ranks in \(r.remaining) bytes") }
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
        return t
    }
}
