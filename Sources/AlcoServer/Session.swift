import AlcoIndex
import SphinxQL

/// What a statement gives the client: rows, or an OK with affected rows.
public enum StatementOutcome: Equatable, Sendable {
    case rows(ResultSet)
    case ok(affected: Int)
}

/// Fixed facts the server reports about itself.
public enum ServerInfo {
    /// MySQL-style so every client accepts it (connector-python wants >= 4.1, Django parses
    /// \d+.\d+.\d+), and naming alco.
    public static let version = "5.7.99-alco-0.1.0"
    public static let versionComment = "alco (SphinxQL compatible with Sphinx 2.2.11)"
}

/// One client connection's SphinxQL state: autocommit and the writes of an open transaction,
/// session variables, and the meta of the last SELECT (for SHOW META).
public final class Session {
    public let catalog: Catalog
    public private(set) var autocommit = true
    private var pendingWrites: [(index: LogIndex, docs: [NewDocument], replace: Bool)] = []
    private var pendingDeletes: [(index: LogIndex, ids: [UInt64])] = []
    public private(set) var lastMeta: QueryMeta?
    private var variables: [String: String] = [:]
    /// What the open transaction holds, bounded: writes wait in memory until COMMIT.
    private var pendingBytes = 0
    private var pendingIDs = 0
    static let maxTransactionBytes = 256 << 20
    static let maxTransactionRows = 1_000_000
    static let maxVariables = 1024
    static let maxVariableBytes = 64 << 10
    public var user = "alco"
    public var database: String?
    /// The time statements may take (the server's bound, and the inline budget while run on
    /// an event loop).
    public var timeLimits = TimeLimits()
    /// Set when the last batch stopped because a statement ran out of its inline budget: the
    /// caller runs the batch again off the event loop, without one.
    public private(set) var needsHandOff = false

    public init(catalog: Catalog) { self.catalog = catalog }

    /// Whether a transaction holds writes not yet committed.
    public var hasPendingWrites: Bool { !pendingWrites.isEmpty || !pendingDeletes.isEmpty }

    /// Back to a fresh connection's state: the open transaction is dropped, not committed.
    public func reset() {
        pendingWrites = []
        pendingBytes = 0
        pendingIDs = 0
        pendingDeletes = []
        autocommit = true
        variables = [:]
        lastMeta = nil
    }

    /// Runs a batch (`SELECT ...; SHOW META`): one outcome per statement, stopping at the
    /// first error as MySQL does.
    public func execute(batch text: String) -> [Result<StatementOutcome, StatementError>] {
        needsHandOff = false
        let statements: [Statement]
        do {
            statements = try Parser.parseBatch(text)
        } catch let e as SphinxQLError {
            return [.failure(StatementError(e.description))]
        } catch {
            return [.failure(StatementError("\(error)"))]
        }
        var out: [Result<StatementOutcome, StatementError>] = []
        for s in statements {
            do {
                out.append(.success(try execute(s)))
            } catch is StatementHandOff {
                needsHandOff = true
                return []
            } catch let e as StatementError {
                out.append(.failure(e))
                break
            } catch let e as AlcoError {
                // MySQL's codes for a full disk (ER_DISK_FULL) and other storage failures
                // (ER_GET_ERRNO), not a syntax error: clients retry those.
                let code: UInt16 = e.isOutOfSpace ? 1021 : e.isIO ? 1030 : 1064
                out.append(.failure(StatementError(e.description, code: code, sqlState: code == 1064 ? "42000" : "HY000")))
                break
            } catch {
                out.append(.failure(StatementError("\(error)")))
                break
            }
        }
        return out
    }

    public func execute(_ statement: Statement) throws -> StatementOutcome {
        switch statement {
        case .select(let s):
            if s.tables.isEmpty { return .rows(try constantSelect(s)) }
            let (rs, meta) = try SelectExecutor(catalog: catalog, timeLimits: timeLimits).execute(s)
            lastMeta = meta
            return .rows(rs)
        case .show(let kind, let like):
            return .rows(try show(kind, like: like))
        case .describe(let table, let like):
            guard let t = TableName.resolve(table, exists: { catalog.indexIfExists($0) != nil }),
                let index = catalog.indexIfExists(t.index)
            else { throw StatementError("no such index '\(table)'", code: 1146, sqlState: "42S02") }
            var rows: [[Cell]] = [[.string("id"), .string("bigint")]]
            for f in index.fullTextFields { rows.append([.string(f), .string("field")]) }
            rows.append([.string("logline"), .string("string")])
            rows.append([.string("js"), .string("json")])
            return .rows(ResultSet(columns: [ResultColumn(name: "Field", kind: .string), ResultColumn(name: "Type", kind: .string)],
                                   rows: filter(rows, like: like)))
        case .set(let name, let value, _):
            let key = name.lowercased().replacingPrefix("@@session.", with: "").replacingPrefix("@@", with: "")
            let text: String
            switch value {
            case .integer(let n), .float(let n), .string(let n), .column(let n): text = n
            case .null: text = ""
            default: text = ""
            }
            if key == "autocommit" {
                let on = text != "0" && text.lowercased() != "off" && text.lowercased() != "false"
                if on && !autocommit { try commit() }
                autocommit = on
            }
            // Bounded per connection: a client cannot grow the server's memory by SETs.
            guard variables[key] != nil || variables.count < Session.maxVariables else {
                throw StatementError("too many session variables (at most \(Session.maxVariables))")
            }
            guard text.utf8.count <= Session.maxVariableBytes else {
                throw StatementError("a session variable's value is at most \(Session.maxVariableBytes) bytes")
            }
            variables[key] = text
            return .ok(affected: 0)
        case .setTransaction:
            return .ok(affected: 0)
        case .insert(let table, let columns, let rows, let replace):
            return .ok(affected: try insert(table, columns, rows, replace: replace))
        case .delete(let table, let condition):
            return .ok(affected: try delete(table, condition))
        case .call(let name, let args, let options):
            return .rows(try call(name, args, options))
        case .flushRTIndex(let t):
            try index(t).flush()
            return .ok(affected: 0)
        case .optimizeIndex(let t):
            try index(t).optimize()
            return .ok(affected: 0)
        case .truncateRTIndex(let t):
            try index(t).truncate()
            return .ok(affected: 0)
        case .alterAddColumn(let t, let column, let type):
            // Every attribute is a js key here; adding one declares it ahead of its first
            // value, filtered like the attributes ALCO's config listed.
            let index = try self.index(t)
            let types = ["integer", "int", "uint", "bigint", "float", "bool", "timestamp", "string", "json"]
            guard types.contains(type) else {
                throw StatementError("unknown column type '\(type)' (expected one of \(types.joined(separator: ", ")))")
            }
            guard !["id", "logline", "js"].contains(column.lowercased()) else {
                throw StatementError("'\(column)' column already exists")
            }
            try index.columns.declare(column) { $0.filtered = true }
            return .ok(affected: 0)
        case .alterDropColumn(let t, let column):
            _ = try index(t)
            throw StatementError("columns are the keys of stored js documents and cannot be dropped; "
                + "hide '\(column)' with `alco index alter \(t) --column \(column) --set display=false`")
        case .reconfigure(let t):
            // Settings apply as soon as they change; there is no config file to re-read.
            _ = try index(t)
            return .ok(affected: 0)
        case .attach(let source, _):
            throw StatementError("ATTACH needs a plain disk index and '\(source)' is not one: alco indexes are all "
                + "realtime; load lines with INSERT/REPLACE or `alco ingest`")
        case .begin:
            return .ok(affected: 0)
        case .commit:
            try commit()
            return .ok(affected: 0)
        case .rollback:
            pendingWrites = []
            pendingBytes = 0
            pendingIDs = 0
            pendingDeletes = []
            return .ok(affected: 0)
        case .use(let db):
            database = db
            return .ok(affected: 0)
        }
    }

    func index(_ table: String) throws -> LogIndex {
        guard let t = TableName.resolve(table, exists: { catalog.indexIfExists($0) != nil }),
            let index = catalog.indexIfExists(t.index)
        else { throw StatementError("unknown local index '\(table)' in search request") }
        return index
    }

    // MARK: writes

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
                throw StatementError("transaction too large (at most \(Session.maxTransactionRows) rows and "
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

    // MARK: reads without a table

    func constantSelect(_ s: SelectStatement) throws -> ResultSet {
        var columns: [ResultColumn] = []
        var row: [Cell] = []
        for item in s.items {
            let name = item.alias ?? SelectExecutor.name(of: item.expression)
            switch item.expression {
            case .variable(let v):
                columns.append(ResultColumn(name: name, kind: .string))
                row.append(variable(v))
            case .function("version", _):
                columns.append(ResultColumn(name: name, kind: .string))
                row.append(.string(ServerInfo.version))
            case .function("database", _), .function("schema", _):
                columns.append(ResultColumn(name: name, kind: .string))
                row.append(database.map(Cell.string) ?? .null)
            case .function("user", _), .function("current_user", _):
                columns.append(ResultColumn(name: name, kind: .string))
                row.append(.string(user + "@localhost"))
            case .function("connection_id", _):
                columns.append(ResultColumn(name: name, kind: .int))
                row.append(.int(1))
            case .integer(let n):
                columns.append(ResultColumn(name: name, kind: .bigInt))
                row.append(.int(Int64(n) ?? 0))
            case .float(let f):
                columns.append(ResultColumn(name: name, kind: .double))
                row.append(.double(Double(f) ?? 0))
            case .string(let t):
                columns.append(ResultColumn(name: name, kind: .string))
                row.append(.string(t))
            default:
                throw StatementError("unsupported expression without a table: \(name)")
            }
        }
        return ResultSet(columns: columns, rows: [row])
    }

    /// Sensible values for the variables clients probe (Sphinx answered an empty LONG that
    /// crashes PyMySQL's decoder).
    func variable(_ name: String) -> Cell {
        let key = name.lowercased().replacingPrefix("@@session.", with: "").replacingPrefix("@@global.", with: "")
            .replacingPrefix("@@", with: "")
        if let v = variables[key] { return .string(v) }
        switch key {
        case "version": return .string(ServerInfo.version)
        case "version_comment": return .string(ServerInfo.versionComment)
        case "autocommit": return .string(autocommit ? "1" : "0")
        case "auto_increment_increment", "auto_increment_offset": return .string("1")
        case "max_allowed_packet": return .string("33554432")
        case "character_set_client", "character_set_connection", "character_set_results", "character_set_server": return .string("utf8mb4")
        case "collation_connection", "collation_server": return .string("utf8mb4_general_ci")
        case "sql_mode": return .string("")
        case "lower_case_table_names": return .string("0")
        case "time_zone", "system_time_zone": return .string("UTC")
        case "transaction_isolation", "tx_isolation": return .string("READ-COMMITTED")
        case "wait_timeout", "interactive_timeout": return .string("28800")
        case "net_write_timeout": return .string("60")
        default: return .null
        }
    }

    // MARK: SHOW

    func show(_ kind: ShowKind, like: String?) throws -> ResultSet {
        let two = [ResultColumn(name: "Variable_name", kind: .string), ResultColumn(name: "Value", kind: .string)]
        switch kind {
        case .meta:
            var rows: [[Cell]] = []
            if let pending = lastMeta {
                let m = try pending.resolved(inlineBudget: timeLimits.inline)
                lastMeta = m
                rows = [[.string("total"), .string(String(m.total))], [.string("total_found"), .string(String(m.totalFound))],
                        [.string("time"), .string(String(format3: m.seconds))]]
                if let w = m.warning { rows.insert([.string("warning"), .string(w)], at: 0) }
                for (k, kw) in m.keywords.enumerated() {
                    rows.append([.string("keyword[\(k)]"), .string(kw.keyword)])
                    rows.append([.string("docs[\(k)]"), .string(String(kw.docs))])
                    rows.append([.string("hits[\(k)]"), .string(String(kw.hits))])
                }
            }
            return ResultSet(columns: two, rows: filter(rows, like: like))
        case .tables:
            let rows: [[Cell]] = catalog.indexes.map { [.string($0.name), .string("rt")] }
            return ResultSet(columns: [ResultColumn(name: "Index", kind: .string), ResultColumn(name: "Type", kind: .string)],
                             rows: filter(rows, like: like))
        case .variables:
            let names = ["autocommit", "collation_connection", "max_allowed_packet", "character_set_client",
                         "character_set_connection", "version", "version_comment"]
            let rows: [[Cell]] = names.map { [.string($0), variable($0)] }
            return ResultSet(columns: two, rows: filter(rows, like: like))
        case .status:
            var rows: [[Cell]] = [[.string("version"), .string(ServerInfo.version)]]
            for i in catalog.indexes {
                let st = i.stats()
                rows.append([.string("\(i.name).documents"), .string(String(st.documents))])
            }
            return ResultSet(columns: [ResultColumn(name: "Counter", kind: .string), ResultColumn(name: "Value", kind: .string)],
                             rows: filter(rows, like: like))
        case .indexStatus(let t):
            let st = try index(t).stats()
            let rows: [[Cell]] = [
                [.string("index_type"), .string("rt")], [.string("indexed_documents"), .string(String(st.documents))],
                [.string("disk_bytes"), .string(String(st.diskBytes))],
                [.string("ram_chunk_segments_count"), .string(String(st.memorySegments))],
                [.string("disk_chunks"), .string(String(st.diskSegments))],
            ]
            return ResultSet(columns: two, rows: filter(rows, like: like))
        case .warnings:
            return ResultSet(columns: [ResultColumn(name: "Level", kind: .string), ResultColumn(name: "Code", kind: .int),
                                       ResultColumn(name: "Message", kind: .string)])
        case .collation:
            return ResultSet(columns: ["Collation", "Charset", "Id", "Default", "Compiled", "Sortlen"].map { ResultColumn(name: $0, kind: .string) },
                             rows: [["utf8_general_ci", "utf8", "33", "Yes", "Yes", "1"].map(Cell.string)])
        case .characterSet:
            return ResultSet(columns: ["Charset", "Description", "Default collation", "Maxlen"].map { ResultColumn(name: $0, kind: .string) },
                             rows: [["utf8", "UTF-8 Unicode", "utf8_general_ci", "3"].map(Cell.string)])
        case .threads, .agentStatus, .plan, .profile:
            return ResultSet(columns: two)
        case .createTable(let t):
            _ = try index(t)
            throw StatementError("sphinxql: syntax error, unexpected CREATE, expecting VARIABLES near 'CREATE TABLE \(t)'")
        }
    }

    /// SQL LIKE on the first column: `%` any run, `_` one character.
    func filter(_ rows: [[Cell]], like: String?) -> [[Cell]] {
        guard let like else { return rows }
        let pattern = LikePattern(like)
        return rows.filter { pattern.matches($0.first?.text ?? "") }
    }

    // MARK: CALL

    func call(_ name: String, _ args: [Expression], _ options: [SelectItem]) throws -> ResultSet {
        switch name {
        case "snippets":
            guard args.count >= 3, case .string(let table) = args[1], case .string(let q) = args[2] else {
                throw StatementError("CALL SNIPPETS requires 3 arguments (docs, index, query)")
            }
            _ = try index(table)
            var docs: [String] = []
            switch args[0] {
            case .string(let d): docs = [d]
            case .function("tuple", let items): docs = items.compactMap { if case .string(let d) = $0 { return d }; return nil }
            default: throw StatementError("CALL SNIPPETS: documents must be strings")
            }
            var opts = SnippetOptions()
            for o in options {
                let value: String
                switch o.expression {
                case .string(let s), .integer(let s): value = s
                default: continue
                }
                SelectExecutor.apply(snippetOptions: "\(o.alias ?? "")=\(value)", to: &opts)
            }
            let h = Highlighter((try? QueryParser.parse(q)) ?? .all)
            return ResultSet(columns: [ResultColumn(name: "snippet", kind: .string)],
                             rows: docs.map { [.string(Snippet.make($0, highlighter: h, options: opts))] })
        case "keywords":
            guard args.count >= 2, case .string(let text) = args[0], case .string(let table) = args[1] else {
                throw StatementError("CALL KEYWORDS requires 2 arguments (text, index)")
            }
            let index = try self.index(table)
            var withStats = false
            if args.count >= 3, case .integer(let n) = args[2] { withStats = n != "0" }
            let words = Tokenizer.tokens(text)
            var columns = ["qpos", "tokenized", "normalized"].map { ResultColumn(name: $0, kind: .string) }
            if withStats { columns += ["docs", "hits"].map { ResultColumn(name: $0, kind: .string) } }
            var rows: [[Cell]] = []
            let snapshot = withStats ? try index.snapshot() : []
            for (k, w) in words.enumerated() {
                var row: [Cell] = [.string(String(k + 1)), .string(w), .string(w)]
                if withStats {
                    let stats = Searcher.keywordStats(.term(w, fields: .all, match: .exact), segments: snapshot).first
                    row += [.string(String(stats?.docs ?? 0)), .string(String(stats?.hits ?? 0))]
                }
                rows.append(row)
            }
            return ResultSet(columns: columns, rows: rows)
        default:
            throw StatementError("no such builtin procedure \(name)")
        }
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

    init(format3 d: Double) {
        let ms = Int64((d * 1000).rounded())
        let f = String(ms % 1000)
        self = String(ms / 1000) + "." + String(repeating: "0", count: 3 - f.count) + f
    }
}
