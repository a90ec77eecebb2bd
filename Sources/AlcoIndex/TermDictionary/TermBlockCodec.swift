/// One entry of a term dictionary block: `varint shared` (bytes shared with the previous
/// term; 0 for a block's first term, stored whole), `varint suffix length`, the suffix bytes,
/// `varint doc count`, then the postings reference: for a one-document term (format 2 on) its
/// postings in place (`varint doc`, `varint frequency`, that many `varint position` gaps),
/// otherwise `varint offset` into the postings section (format 2 on: a delta from the block's
/// previous offset; format 1: absolute). Writer and reader share this one description.
enum TermBlockCodec {
    /// Writes an entry's term and doc count; the postings reference follows.
    /// With `onlyOccurrence`, a term found once in the segment, its postings follow in the
    /// entry (`PostingsWriter.writeSingle`'s layout: doc, frequency 1, position). Staged on the
    /// stack and appended at once: a seal writes ~5 entries a line.
    static func writeEntryHead(
        term: UnsafeRawBufferPointer, shared: Int, docFreq: Int, onlyOccurrence: (doc: UInt32, position: UInt32)? = nil,
        to data: inout ByteWriter
    ) {
        let suffix = term.count - shared
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: suffix + 45) { stage in
            let p = stage.baseAddress!
            var at = 0
            writeVarint(UInt64(shared), p, &at)
            writeVarint(UInt64(suffix), p, &at)
            if suffix > 0 { UnsafeMutableRawPointer(p + at).copyMemory(from: term.baseAddress! + shared, byteCount: suffix) }
            at += suffix
            writeVarint(UInt64(docFreq), p, &at)
            if let once = onlyOccurrence { PostingsWriter.writeSingle(doc: once.doc, position: once.position, p, &at) }
            data.append(UnsafeRawBufferPointer(start: p, count: at))
        }
    }

    /// Reads the postings reference at `i` (after the doc count), leaving `i` after it.
    /// `previous` is the block's running offset; `limit` bounds a damaged frequency.
    @inline(__always)
    static func readPostingsReference(
        df: Int, _ data: UnsafePointer<UInt8>, _ i: inout Int, previous: inout Int,
        inlineSingles: Bool, limit: Int
    ) -> TermInfo {
        guard inlineSingles else { return TermInfo(docFreq: df, postingsOffset: Int(truncatingIfNeeded: readVarint64(data, &i))) }
        if df == 1 {
            let at = i
            _ = readVarint64(data, &i)
            let freq = readVarint64(data, &i)
            for _ in 0..<min(freq, UInt64(limit)) { _ = readVarint64(data, &i) }
            return TermInfo(docFreq: 1, postingsOffset: at, inline: true)
        }
        previous &+= Int(truncatingIfNeeded: readVarint64(data, &i))
        return TermInfo(docFreq: df, postingsOffset: previous)
    }
}
