/// One entry of a term dictionary block. Format 7 on: a head byte (bit 7 set for a
/// one-document term, whose doc count is then not written; bits 3–6 the bytes shared with the
/// previous term, 15 meaning a varint follows; bits 0–2 the suffix length, 0 meaning a varint
/// follows), the suffix bytes, `varint doc count` unless one-document, then the postings
/// reference. Before format 7: `varint shared`, `varint suffix length`, the suffix bytes,
/// `varint doc count`, then the reference. A block's first term shares nothing (stored whole).
///
/// The reference: for a one-document term (format 2 on) its postings in place (`varint doc`,
/// `varint frequency`, that many `varint position` gaps), otherwise `varint offset` into the
/// postings section (format 2 on: a delta from the block's previous offset; format 1:
/// absolute). Writer and readers share this one description.
///
/// Most entries of a log segment's dictionary share 0–14 bytes and add 1–7 (numbers counting
/// up, ids) and most are one-document terms: the head byte holds in one byte what took three
/// (~3 MB of 31 per million lines).
enum TermBlockCodec {
    static let singleFlag: UInt8 = 0x80
    static let sharedEscape = 15
    static let suffixEscape = 0

    /// Writes an entry's term and doc count (format 7); the postings reference follows.
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
            let sharedInHead = shared < sharedEscape ? shared : sharedEscape
            let suffixInHead = suffix >= 1 && suffix <= 7 ? suffix : suffixEscape
            p[0] = (docFreq == 1 ? singleFlag : 0) | UInt8(sharedInHead << 3) | UInt8(suffixInHead)
            var at = 1
            if sharedInHead == sharedEscape { writeVarint(UInt64(shared), p, &at) }
            if suffixInHead == suffixEscape { writeVarint(UInt64(suffix), p, &at) }
            if suffix > 0 { UnsafeMutableRawPointer(p + at).copyMemory(from: term.baseAddress! + shared, byteCount: suffix) }
            at += suffix
            if docFreq != 1 { writeVarint(UInt64(docFreq), p, &at) }
            if let once = onlyOccurrence { PostingsWriter.writeSingle(doc: once.doc, position: once.position, p, &at) }
            data.append(UnsafeRawBufferPointer(start: p, count: at))
        }
    }

    /// An entry's term part and doc count, as read.
    struct EntryHead {
        var shared: Int
        var suffixLength: Int
        /// Where the suffix bytes start.
        var suffixAt: Int
        var docFreq: Int
    }

    /// Reads the entry at `i` up to its postings reference, leaving `i` there; nil when the
    /// entry does not fit before `end` (damage: the caller stops walking the block).
    @inline(__always)
    static func readEntryHead(_ p: UnsafePointer<UInt8>, _ i: inout Int, end: Int, compact: Bool) -> EntryHead? {
        guard i < end else { return nil }
        let shared: Int
        let suffixLength: Int
        var single = false
        if compact {
            let head = p[i]
            i += 1
            single = head & singleFlag != 0
            let s = Int(head >> 3) & 15
            if s == sharedEscape {
                guard i < end else { return nil }
                shared = Int(readVarint32(p, &i))
            } else {
                shared = s
            }
            let l = Int(head & 7)
            if l == suffixEscape {
                guard i < end else { return nil }
                suffixLength = Int(readVarint32(p, &i))
            } else {
                suffixLength = l
            }
        } else {
            shared = Int(readVarint32(p, &i))
            guard i < end else { return nil }
            suffixLength = Int(readVarint32(p, &i))
        }
        guard i <= end, suffixLength <= end - i else { return nil }
        let suffixAt = i
        i += suffixLength
        let docFreq: Int
        if single {
            docFreq = 1
        } else {
            guard i < end else { return nil }
            docFreq = Int(truncatingIfNeeded: readVarint64(p, &i))
        }
        guard i < end else { return nil }
        return EntryHead(shared: shared, suffixLength: suffixLength, suffixAt: suffixAt, docFreq: docFreq)
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
