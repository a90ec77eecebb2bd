/// One logged change to an index. Documents carry their final ids so replay is exact.
public enum WALRecord: Equatable, Sendable {
    case insert([Document])
    /// An insert that also sets a source's mark (see `SourceMark`), in the same record.
    case insertMarked([Document], SourceMark)
    case replace([Document])
    case delete([UInt64])
    case truncate

    enum Op: UInt8 {
        case insert = 1, replace = 2, delete = 3, truncate = 4, insertMarked = 5
    }

    func encode(into w: inout ByteWriter) {
        switch self {
        case .insert(let docs), .replace(let docs):
            if case .insert = self { w.u8(Op.insert.rawValue) } else { w.u8(Op.replace.rawValue) }
            WALRecord.encode(docs, into: &w)
        case .insertMarked(let docs, let mark):
            w.u8(Op.insertMarked.rawValue)
            w.string(mark.key)
            w.string(mark.value)
            WALRecord.encode(docs, into: &w)
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
        case .insertMarked:
            let mark = SourceMark(key: try r.string(), value: try r.string())
            return .insertMarked(try decodeDocuments(&r), mark)
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
