import SphinxAPI
import SphinxQL

/// A SphinxAPI query turned into the SELECT it stands for, so an agent answers with the same
/// engine path SphinxQL takes. A master sends SphinxQL's parts separately: the select list
/// as text, MATCH as the query, WHERE as typed filters, ORDER BY as sort strings.
struct AgentQuery {
    let query: APIQuery
    var statement = SelectStatement()
    /// ORDER BY keys (as written) that name JSON values: searchd sends each as text beside
    /// the match (`@int_str2ptr_<key>`), which is what the master sorts by.
    var jsonSortKeys: [(name: String, path: [String])] = []
    /// The GROUP BY key as written.
    var groupBy: String?

    init(_ query: APIQuery) throws {
        self.query = query
        statement.items = try Self.selectList(query.select)
        statement.tables = Self.indexNames(query.indexes)
        guard !statement.tables.isEmpty else { throw AgentError("no indexes named in the query") }
        // Each alias's expression (the first, where an alias repeats).
        var aliased: [String: Expression] = [:]
        for item in statement.items {
            if let alias = item.alias, aliased[alias] == nil { aliased[alias] = item.expression }
        }

        var conditions: [Expression] = []
        if let text = Self.matchText(query) { conditions.append(.function("match", [.string(text)])) }
        if query.minID > 0 { conditions.append(.binary(">=", .column("id"), .integer(String(query.minID)))) }
        if query.maxID < .max { conditions.append(.binary("<=", .column("id"), .integer(String(query.maxID)))) }
        for f in query.filters { conditions.append(try Self.condition(f, aliases: Set(aliased.keys))) }
        statement.whereClause = conditions.isEmpty ? nil : conditions.count == 1 ? conditions[0] : .and(conditions)

        if !query.groupBy.isEmpty {
            guard query.groupFunction == 4 else {
                throw AgentError("group-by function \(query.groupFunction) is not supported (only attribute grouping)")
            }
            groupBy = query.groupBy
            statement.groupBy = [.column(query.groupBy)]
            // `@groupby` (the default group sort) is searchd's hash of the key: it orders
            // nothing a master does not order again.
            statement.orderBy = try Self.sortKeys(query.groupSort).filter { $0.expression != .column("@groupby") }
            statement.withinGroupOrderBy = try Self.sortKeys(query.sortBy)
        } else {
            switch query.sortMode {
            case .relevance: statement.orderBy = [OrderKey(expression: .function("weight", []), descending: true)]
            case .attributeDescending: statement.orderBy = try Self.sortKeys(query.sortBy + " desc")
            case .attributeAscending: statement.orderBy = try Self.sortKeys(query.sortBy + " asc")
            case .extended: statement.orderBy = try Self.sortKeys(query.sortBy)
            case .timeSegments, .expression:
                throw AgentError("sort mode \(query.sortMode.rawValue) is not supported")
            }
        }
        for key in statement.orderBy {
            guard case .column(let name) = key.expression else { continue }
            var target: Expression = .column(name)
            if let expression = aliased[name] { target = expression }
            if case .column(let c) = target, let path = Self.jsPath(c) { jsonSortKeys.append((name, path)) }
        }
        statement.offset = Int(query.offset)
        statement.limit = Int(query.limit)
        statement.options = [("max_matches", .integer(String(query.maxMatches)))]
        if query.maxQueryMilliseconds > 0 {
            statement.options.append(("max_query_time", .integer(String(query.maxQueryMilliseconds))))
        }
    }

    /// The keys below js of a column (`js.a.b` → a, b); nil for any other column.
    static func jsPath(_ column: String) -> [String]? {
        column.hasPrefix("js.") ? column.dropFirst(3).split(separator: ".").map(String.init) : nil
    }

    /// The select list, read by the SphinxQL parser.
    static func selectList(_ text: String) throws -> [SelectItem] {
        let parsed: Statement
        do {
            parsed = try Parser.parse("SELECT \(text) FROM agent")
        } catch {
            throw AgentError("select: \(error)")
        }
        guard case .select(let s) = parsed, s.whereClause == nil, s.groupBy.isEmpty, s.orderBy.isEmpty else {
            throw AgentError("select: the select list is not a list of expressions")
        }
        return s.items
    }

    /// Index names as searchd reads a list: runs of letters, digits and underscores.
    static func indexNames(_ text: String) -> [String] {
        var names: [String] = []
        var current = ""
        for c in text.unicodeScalars {
            if c.properties.isAlphabetic && c.isASCII || ("0"..."9").contains(c) || c == "_" {
                current.unicodeScalars.append(c)
            } else if !current.isEmpty {
                names.append(current)
                current = ""
            }
        }
        if !current.isEmpty { names.append(current) }
        return names
    }

    /// The full-text query in SphinxQL's extended syntax, by the query's match mode.
    static func matchText(_ q: APIQuery) -> String? {
        let text = q.query
        guard !text.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\n" }) else { return nil }
        switch q.matchMode {
        case .fullScan: return nil
        case .any: return text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).joined(separator: " | ")
        case .phrase: return "\"" + text.replacingOccurrences(of: "\"", with: " ") + "\""
        case .all, .boolean, .extended, .extended2: return text
        }
    }

    /// A filter as the WHERE condition SphinxQL would have written for it. A master sends a
    /// WHERE on an expression as a filter on the select list's alias for it.
    static func condition(_ f: APIFilter, aliases: Set<String> = []) throws -> Expression {
        let isID = f.attribute == "@id" || f.attribute == "id"
        let column = Expression.column(isID ? "id" : f.attribute)
        guard isID || f.attribute.hasPrefix("js.") || aliases.contains(f.attribute) else {
            throw AgentError("no such filter attribute '\(f.attribute)'")
        }
        var e: Expression
        switch f.condition {
        case .values(let values):
            let items = values.map { Expression.integer(isID ? String(UInt64(bitPattern: $0)) : String($0)) }
            // One value is `=`, as SphinxQL's `__where_result = 1` on an alias was written.
            e = items.count == 1 ? .binary("=", column, items[0]) : .inList(column, items)
        case .range(let lo, let hi):
            var parts: [Expression] = []
            let (ge, le) = f.hasEqual ? (">=", "<=") : (">", "<")
            if isID {
                let (l, h) = (UInt64(bitPattern: lo), UInt64(bitPattern: hi))
                if l > 0 || !f.hasEqual { parts.append(.binary(ge, column, .integer(String(l)))) }
                if h < .max || !f.hasEqual { parts.append(.binary(le, column, .integer(String(h)))) }
            } else {
                if lo > .min || hi == .max { parts.append(.binary(ge, column, .integer(String(lo)))) }
                if hi < .max { parts.append(.binary(le, column, .integer(String(hi)))) }
            }
            e = parts.isEmpty ? .integer("1") : parts.count == 1 ? parts[0] : .and(parts)
        case .floatRange(let lo, let hi):
            var parts: [Expression] = []
            let (ge, le) = f.hasEqual ? (">=", "<=") : (">", "<")
            if lo > -Float.greatestFiniteMagnitude || hi == .greatestFiniteMagnitude {
                parts.append(.binary(ge, column, .float(String(describing: lo))))
            }
            if hi < .greatestFiniteMagnitude { parts.append(.binary(le, column, .float(String(describing: hi)))) }
            e = parts.count == 1 ? parts[0] : .and(parts)
        case .string(let s):
            e = .binary("=", column, s.map(Expression.string) ?? .null)
        case .strings:
            // What a Sphinx 2.2.11 agent answers to `js.key IN ('a', 'b')` from its master.
            throw AgentError("this filter type on JSON subfields is not implemented yet")
        case .isNull(let isNull):
            let test = Expression.function("isnull", [column])
            e = isNull ? test : .not(test)
        case .userVariable:
            throw AgentError("filter type of '\(f.attribute)' is not supported")
        }
        return f.exclude ? .not(e) : e
    }

    /// A sort clause (`id DESC`, `@weight desc, c ASC`) as ORDER BY keys.
    static func sortKeys(_ text: String) throws -> [OrderKey] {
        var keys: [OrderKey] = []
        for part in text.split(separator: ",") {
            let words = part.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let first = words.first else { continue }
            guard words.count <= 2 else { throw AgentError("sort-by: cannot read '\(part)'") }
            var descending = false
            if words.count == 2 {
                switch words[1].lowercased() {
                case "desc": descending = true
                case "asc": descending = false
                default: throw AgentError("sort-by: expected ASC or DESC after '\(first)'")
                }
            }
            let name = String(first)
            let expression: Expression
            switch name.lowercased() {
            case "@weight", "weight()", "@relevance", "@rank": expression = .function("weight", [])
            case "@id", "id": expression = .column("id")
            case "@count", "count(*)": expression = .function("count", [.star])
            default: expression = .column(name.lowercasingFirstSegment())
            }
            keys.append(OrderKey(expression: expression, descending: descending))
        }
        return keys
    }
}

/// The SELECT an agent runs for a query (what the fuzz target and tests translate).
public enum AgentTranslation {
    public static func statement(for query: APIQuery) throws -> SelectStatement {
        try AgentQuery(query).statement
    }
}

/// A query this agent cannot run; the message goes back in the query's status.
struct AgentError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
