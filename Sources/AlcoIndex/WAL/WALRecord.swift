/// One logged change to an index. Documents carry their final ids so replay is exact.
public enum WALRecord: Equatable, Sendable {
    case insert([Document])
    /// An insert (or a replace) that also sets a source's mark (see `SourceMark`), records
    /// the patterns its documents created and carries each document's pattern id.
    case insertExtended([Document], InsertExtras)
    case replace([Document])
    case delete([UInt64])
    case truncate

    enum Op: UInt8 {
        case insert = 1, replace = 2, delete = 3, truncate = 4, insertExtended = 5
    }

    func encode(into w: inout ByteWriter) {
        switch self {
        case .insert(let docs), .replace(let docs):
            if case .insert = self { w.u8(Op.insert.rawValue) } else { w.u8(Op.replace.rawValue) }
            WALRecord.encode(docs, into: &w)
        case .insertExtended(let docs, let extras):
            w.u8(Op.insertExtended.rawValue)
            let withPatterns = docs.contains { $0.pattern != nil }
            extras.encode(into: &w, documentPatterns: withPatterns)
            WALRecord.encode(docs, into: &w)
            // After the documents, so a reader takes one count for both.
            if withPatterns {
                for d in docs { w.varint(d.pattern.map { UInt64($0) + 1 } ?? 0) }
            }
        case .delete(let ids):
            w.u8(Op.delete.rawValue)
            w.varint(ids.count)
            for id in ids { w.u64(id) }
        case .truncate:
            w.u8(Op.truncate.rawValue)
        }
    }

    static func decode(_ r: inout ByteReader) throws -> WALRecord {
        guard let op = Op(rawValue: try r.u8()) else { throw DecodeError("unknown WAL operation") }
        switch op {
        case .insert, .replace:
            let docs = try decodeDocuments(&r)
            return op == .insert ? .insert(docs) : .replace(docs)
        case .insertExtended:
            let (extras, withPatterns) = try InsertExtras.decode(&r)
            var docs = try decodeDocuments(&r)
            if withPatterns {
                for k in docs.indices {
                    let v = try r.varint()
                    guard v == 0 || v - 1 <= UInt64(UInt32.max) else { throw DecodeError("pattern id out of range") }
                    docs[k].pattern = v == 0 ? nil : UInt32(v - 1)
                }
            }
            return .insertExtended(docs, extras)
        case .delete:
            let n = try r.varintInt()
            var ids: [UInt64] = []
            for _ in 0..<n { ids.append(try r.u64()) }
            return .delete(ids)
        case .truncate:
            return .truncate
        }
    }

    private static func encode(_ docs: [Document], into w: inout ByteWriter) {
        w.varint(docs.count)
        for d in docs {
            w.u64(d.id)
            w.string(d.logline)
            w.string(d.js)
        }
    }

    private static func decodeDocuments(_ r: inout ByteReader) throws -> [Document] {
        let n = try r.varintInt()
        var docs: [Document] = []
        docs.reserveCapacity(min(n, 1 << 16))
        for _ in 0..<n {
            let id = try r.u64()
            let logline = try r.string()
            let js = try r.string()
            docs.append(Document(id: id, logline: logline, js: js))
        }
        return docs
    }
}

/// What an insert record may carry besides its documents.
public struct InsertExtras: Equatable, Sendable {
    /// REPLACE: documents with the same ids are replaced.
    public var replaces = false
    public var mark: SourceMark?
    public var patterns: PatternMiner.Delta?

    var isEmpty: Bool { mark == nil && (patterns?.isEmpty ?? true) }

    /// Flag 8 (`documentPatterns`): the documents' pattern ids follow them in the record.
    func encode(into w: inout ByteWriter, documentPatterns: Bool) {
        let patterns = self.patterns.flatMap { $0.isEmpty ? nil : $0 }
        w.u8((mark != nil ? 1 : 0) | (patterns != nil ? 2 : 0) | (replaces ? 4 : 0) | (documentPatterns ? 8 : 0))
        if let mark {
            w.string(mark.key)
            w.string(mark.value)
        }
        if let patterns {
            w.varint(patterns.firstID)
            w.varint(patterns.created.count)
            for p in patterns.created {
                w.string(p.words.joined(separator: " "))
                w.u64(UInt64(bitPattern: p.firstSeen))
            }
            w.varint(patterns.merges.count)
            for m in patterns.merges {
                w.varint(m.id)
                w.varint(m.into)
            }
        }
    }

    static func decode(_ r: inout ByteReader) throws -> (InsertExtras, documentPatterns: Bool) {
        let flags = try r.u8()
        guard flags & ~15 == 0 else { throw DecodeError("unknown insert extras \(flags)") }
        var extras = InsertExtras()
        extras.replaces = flags & 4 != 0
        if flags & 1 != 0 { extras.mark = SourceMark(key: try r.string(), value: try r.string()) }
        if flags & 2 != 0 {
            guard let first = UInt32(exactly: try r.varint()) else { throw DecodeError("pattern id out of range") }
            var delta = PatternMiner.Delta(firstID: first)
            let n = try r.varintInt()
            for k in 0..<n {
                let text = try r.string()
                let words = PatternMiner.Pattern.words(ofTemplate: text)
                let seen = Int64(bitPattern: try r.u64())
                guard let id = UInt32(exactly: UInt64(first) + UInt64(k)) else { throw DecodeError("pattern id out of range") }
                delta.created.append(PatternMiner.Pattern(id: id, words: words, mergedInto: nil, firstSeen: seen))
            }
            let m = try r.varintInt()
            for _ in 0..<m {
                guard let id = UInt32(exactly: try r.varint()), let into = UInt32(exactly: try r.varint()) else {
                    throw DecodeError("pattern id out of range")
                }
                delta.merges.append((id, into))
            }
            extras.patterns = delta
        }
        return (extras, flags & 8 != 0)
    }
}
