import AlcoIndex
import SphinxQL

/// INSERT, REPLACE, DELETE and transactions: with autocommit off, writes wait in the session
/// (bounded) until COMMIT; every write becomes durable before its reply.
extension Session {
    func insert(_ table: String, _ columns: [String], _ rows: [[Expression]], replace: Bool) throws -> Int {
        let index = try self.index(table)
        guard columns.contains(where: { $0.lowercased() == "id" }) else {
            throw StatementError("column list must contain an 'id' column")
        }
        // Column roles resolved once per statement, not per row.
        enum Role { case id, logline, js, extra }
        let roles: [Role] = columns.map {
            switch $0.lowercased() {
            case "id": return .id
            case "logline": return .logline
            case "js": return .js
            default: return .extra
            }
        }
        var docs: [NewDocument] = []
        docs.reserveCapacity(rows.count)
        for row in rows {
            guard row.count == columns.count else {
                throw StatementError("column count does not match value count (expected \(columns.count), got \(row.count))")
            }
            var id: UInt64?
            var logline = ""
            var jsText = "{}"
            var jsGiven = false
            var extra: [(key: String, value: String)] = []
            for (k, v) in row.enumerated() {
                switch roles[k] {
                case .id:
                    guard case .integer(let n) = v, let x = UInt64(n), x > 0 else {
                        throw StatementError("id must be a positive integer")
                    }
                    id = x
                case .logline:
                    guard case .string(let s) = v else { throw StatementError("logline must be a string") }
                    logline = s
                case .js:
                    guard case .string(let s) = v else { throw StatementError("js must be a JSON string") }
                    // Checked, not rebuilt: the js text is stored exactly as the client sent it
                    // (validated member by member without building its keys).
                    var text = s
                    let valid = (try? text.withUTF8 { try JSONScanner.forEachTopLevelMember(UnsafeRawBufferPointer($0)) { _, _ in } }) != nil
                    guard valid else { throw StatementError("js is not a JSON object: \(s.prefix(60))") }
                    jsText = text.trimmingJSONSpace()
                    jsGiven = true
                case .extra:
                    // ALCO's indexed columns (rt_field request_id, ...) live in js here.
                    switch v {
                    case .string(let s): extra.append((columns[k], JSONValue.quoted(s)))
                    case .integer(let n), .float(let n): extra.append((columns[k], n))
                    default: break
                    }
                }
            }
            // Keys of the js (only needed when extra columns might collide with them).
            var jsKeys: [String] = []
            if jsGiven && !extra.isEmpty {
                var text = jsText
                jsKeys = ((try? text.withUTF8 { try JSONScanner.topLevelMembers(UnsafeRawBufferPointer($0)) }) ?? []).map(\.key)
            }
            for e in extra where !jsKeys.contains(e.key) {
                jsText = String(jsText.dropLast()) + (jsText.count > 2 ? "," : "") + JSONValue.quoted(e.key) + ":" + e.value + "}"
            }
            docs.append(NewDocument(id: id, logline: logline, jsText: jsText))
        }
        if autocommit {
            do {
                try index.append(docs, mode: replace ? .replace : .insert)
            } catch let AlcoError.duplicateID(id, _) {
                throw StatementError("duplicate id '\(id)'")
            }
        } else {
            let bytes = docs.reduce(0) { $0 + $1.logline.utf8.count + $1.js.utf8.count }
            guard pendingBytes + bytes <= Session.maxTransactionBytes, pendingIDs + docs.count <= Session.maxTransactionRows else {
                throw StatementError(
                    "transaction too large (at most \(Session.maxTransactionRows) rows and "
                        + "\(Session.maxTransactionBytes >> 20) MiB before COMMIT): commit more often, or use autocommit")
            }
            pendingBytes += bytes
            pendingIDs += docs.count
            pendingWrites.append((index, docs, replace))
        }
        return docs.count
    }

    func delete(_ table: String, _ condition: Expression) throws -> Int {
        let index = try self.index(table)
        let t = try WhereTranslator().translate(condition)
        let request = SearchRequest(text: t.text, filter: t.filter)
        if autocommit { return try index.delete(matching: request) }
        let ids = try Searcher.matchingIDs(request, segments: try index.snapshot(request.partitions))
        guard pendingIDs + ids.count <= Session.maxTransactionRows else {
            throw StatementError("transaction too large (at most \(Session.maxTransactionRows) rows before COMMIT)")
        }
        pendingIDs += ids.count
        pendingDeletes.append((index, ids))
        return ids.count
    }

    func commit() throws {
        let writes = pendingWrites
        let deletes = pendingDeletes
        pendingWrites = []
        pendingBytes = 0
        pendingIDs = 0
        pendingDeletes = []
        for w in writes {
            do {
                try w.index.append(w.docs, mode: w.replace ? .replace : .insert)
            } catch let AlcoError.duplicateID(id, _) {
                throw StatementError("duplicate id '\(id)'")
            }
        }
        for d in deletes { try d.index.delete(ids: d.ids) }
    }
}

extension String {
    /// Without leading and trailing JSON whitespace, so the engine sees `{` first and `}` last.
    func trimmingJSONSpace() -> String {
        // The usual case, checked without copying: a client's js starts and ends with braces.
        if utf8.first == UInt8(ascii: "{") && utf8.last == UInt8(ascii: "}") { return self }
        let space: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        let u = Array(utf8)
        guard let a = u.firstIndex(where: { !space.contains($0) }), let b = u.lastIndex(where: { !space.contains($0) }) else {
            return self
        }
        return a == 0 && b == u.count - 1 ? self : String(decoding: u[a...b], as: UTF8.self)
    }

    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }

    public init(format3 d: Double) {
        let ms = Int64((d * 1000).rounded())
        let f = String(ms % 1000)
        self = String(ms / 1000) + "." + String(repeating: "0", count: 3 - f.count) + f
    }
}
