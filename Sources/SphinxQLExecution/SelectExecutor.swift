import AlcoIndex
import SphinxQL

/// What SHOW META reports about the last SELECT of a session.
///
/// Counting every match costs more than finding the newest 100, and most clients never ask,
/// so an inexact total (and the documents of each query word) is left to `resolved()`: it
/// counts on the very snapshot the SELECT searched, so the answer is what it would have been
/// at the time.
public struct QueryMeta: Sendable {
    public var total = 0
    public var totalFound = 0
    public var seconds = 0.0
    public var keywords: [KeywordStats] = []
    /// Why the result may be short (the time limit passed), as SHOW META's `warning`.
    public var warning: String?
    /// Counts the matches when the search stopped early, within a time limit (ms, nil: none);
    /// nil once exact.
    var pendingCount: (@Sendable (Int?) throws -> (count: Int, timedOut: Bool))?
    /// The time limit the SELECT itself had (its count gets the same).
    var timeLimit: TimeLimits.Applied = .init(milliseconds: nil, isInlineBudget: false)
    /// Looks up the query's words; nil once `keywords` holds them.
    var pendingKeywords: (@Sendable () -> [KeywordStats])?
    var maxMatches = 1000

    public init(total: Int = 0, totalFound: Int = 0, seconds: Double = 0, keywords: [KeywordStats] = []) {
        self.total = total
        self.totalFound = totalFound
        self.seconds = seconds
        self.keywords = keywords
    }

    /// SHOW META's rows (of a resolved meta): warning, totals, time, each keyword's counts.
    public var rows: [(name: String, value: String)] {
        var rows: [(String, String)] = [("total", String(total)), ("total_found", String(totalFound)), ("time", String(format3: seconds))]
        if let w = warning { rows.insert(("warning", w), at: 0) }
        for (k, kw) in keywords.enumerated() {
            rows += [("keyword[\(k)]", kw.keyword), ("docs[\(k)]", String(kw.docs)), ("hits[\(k)]", String(kw.hits))]
        }
        return rows
    }

    /// The meta with exact totals, counting now if the search did not. The count runs
    /// within the SELECT's own time limit, or `inlineBudget` if that is shorter (then running
    /// past it throws `StatementHandOff`, to be run again off the event loop).
    public func resolved(inlineBudget: Int? = nil) throws -> QueryMeta {
        var m = self
        if let pendingKeywords {
            m.keywords = pendingKeywords()
            m.pendingKeywords = nil
        }
        if let pendingCount {
            let applied = TimeLimits(server: timeLimit.milliseconds, inline: inlineBudget).applied(asked: nil)
            let (count, timedOut) = try pendingCount(applied.milliseconds)
            if timedOut && applied.isInlineBudget { throw StatementHandOff() }
            m.totalFound = max(count, m.totalFound)
            m.total = min(m.totalFound, maxMatches)
            m.pendingCount = nil
            if timedOut { m.warning = "query time exceeded max_query_time=\(applied.milliseconds ?? 0) ms while counting matches" }
        }
        return m
    }
}

/// How long a statement may run. `server` bounds every statement (serve's
/// `--query-timeout`); `inline` is the first budget of a statement run on an event loop, past
/// which it stops and is run again off the loop (`StatementHandOff`), so a slow query never
/// holds a loop that other connections share.
public struct TimeLimits: Sendable {
    public var server: Int?
    public var inline: Int?

    public init(server: Int? = nil, inline: Int? = nil) {
        self.server = server
        self.inline = inline
    }

    public struct Applied: Sendable {
        public var milliseconds: Int?
        /// The inline budget is the tightest limit: running out of it means "hand off", not
        /// "stop with what was found".
        public var isInlineBudget: Bool
    }

    /// The limit for a statement that asked for `asked` ms (max_query_time; nil or 0: none).
    public func applied(asked: Int?) -> Applied {
        let own = [asked.flatMap { $0 > 0 ? $0 : nil }, server].compactMap { $0 }.min()
        if let inline, inline < (own ?? Int.max) { return Applied(milliseconds: inline, isInlineBudget: true) }
        return Applied(milliseconds: own, isInlineBudget: false)
    }
}

/// A statement ran out of its inline budget on an event loop: run it again off the loop.
public struct StatementHandOff: Error, Sendable {
    public init() {}
}

/// Runs a SELECT against the engine: resolves the table, translates WHERE, ordering, limits
/// and options into a `SearchRequest`, and evaluates the select list per hit (js paths,
/// WEIGHT(), SNIPPET(), IN(), comparisons, COUNT(*)) into a result set.
public struct SelectExecutor {
    /// What a first try on an event loop may read of pages never read before (a few dozen
    /// pages: what a cold query's dictionary probes take in a handful of segments).
    static let inlineColdReadBytes = 256 << 10

    public let catalog: Catalog
    public var timeLimits: TimeLimits

    public init(catalog: Catalog, timeLimits: TimeLimits = TimeLimits()) {
        self.catalog = catalog
        self.timeLimits = timeLimits
    }

    static let knownOptions: Set<String> = [
        "max_matches", "ranker", "field_weights", "index_weights", "cutoff", "max_query_time", "comment",
        "retry_count", "retry_delay", "reverse_scan", "sort_method", "agent_query_timeout", "boolean_simplify",
        "idf", "global_idf", "local_df", "max_predicted_time", "rand_seed",
    ]

    public func execute(_ s: SelectStatement) throws -> (ResultSet, QueryMeta) {
        let found = try evaluate(s)
        return (try found.resultSet(), found.meta)
    }

    /// Runs the search a SELECT asks for, before its rows are projected: what a SphinxAPI
    /// agent needs to type each value as searchd does.
    public func evaluate(_ s: SelectStatement) throws -> Evaluation {
        guard !s.tables.isEmpty else { throw StatementError("a table is required") }
        let tables = try s.tables.map { name in
            guard let t = TableName.resolve(name, exists: { catalog.indexIfExists($0) != nil }) else {
                throw StatementError("unknown local index '\(name)' in search request")
            }
            return t
        }
        let targets = UnionSearch.targets(tables, catalog: catalog)

        let expansion = try AliasExpansion(s.items)
        let translation = try WhereTranslator().translate(try expansion.expand(s.whereClause))

        var request = SearchRequest(text: translation.text, filter: translation.filter)
        request.offset = s.offset
        request.limit = s.limit ?? 20
        request.countTotal = false
        var askedTime: Int?
        for (name, value) in s.options {
            guard SelectExecutor.knownOptions.contains(name) else { throw StatementError("unknown option '\(name)'") }
            switch name {
            case "max_matches":
                guard case .integer(let n) = value else { throw StatementError("max_matches must be an integer") }
                // Beyond Int: as out of bounds as any number past the cap.
                request.maxMatches = Int(n) ?? Int.max
            case "max_query_time":
                guard case .integer(let n) = value else { throw StatementError("max_query_time must be an integer (milliseconds)") }
                // 0 is Sphinx's "no limit"; the server's own bound still applies.
                askedTime = Int(n) ?? Int.max
            default:
                break
            }
        }
        let limit = timeLimits.applied(asked: askedTime)
        request.timeLimitMilliseconds = limit.milliseconds
        // A first try on an event loop also stops once it reads from disk: waiting for the
        // disk there holds the loop, and the try's work is done again on a worker anyway.
        if limit.isInlineBudget { request.coldReadLimitBytes = SelectExecutor.inlineColdReadBytes }
        let hasMatch = translation.text != .all
        request.order = hasMatch ? .relevance : .idAscending
        if let key = s.orderBy.first {
            switch try expansion.expand(key.expression).0 {
            case .column("id"): request.order = key.descending ? .idDescending : .idAscending
            case .function("weight", _): request.order = .relevance
            default: break  // other keys: order applied below, after evaluation
            }
        }
        let isAggregate =
            s.groupBy.isEmpty
            && s.items.contains {
                if case .function("count", _) = $0.expression { return true }; return false
            }
        var groupOrder: GroupOrder?
        if let g = s.groupBy.first {
            guard case .column(let c) = try expansion.expand(g).0 else { throw StatementError("GROUP BY takes a column") }
            request.groupBy = c == "id" ? "id" : try WhereTranslator().jsKey(c)
            // The engine gives groups most numerous first; any other ORDER BY sorts every
            // group kept (up to max_matches) before the page is cut.
            let order = try GroupOrder(s.orderBy, statement: s, expansion: expansion)
            if !order.isEngineOrder {
                groupOrder = order
                groupOrder?.page = (s.offset, request.limit)
                request.offset = 0
                request.limit = request.maxMatches
            }
        }
        // Other items beside COUNT(*) take their values from one match, the one with the
        // smallest id, as Sphinx's implicit group gives them (NULL when nothing matches).
        let needsMatch =
            isAggregate
            && s.items.contains {
                if case .function("count", _) = $0.expression { return false }; return true
            }
        if isAggregate {
            // Otherwise only the count matters: id order counts without ranking every match.
            request.limit = needsMatch ? 1 : 0
            if needsMatch { request.offset = 0 }
            request.loadDocuments = needsMatch
            request.countTotal = true
            request.order = needsMatch ? .idAscending : .idDescending
        }
        do {
            try request.checkLimits()
        } catch let e as AlcoError {
            throw StatementError(e.description)
        }

        let outcome: UnionSearch.Outcome
        do {
            outcome = try UnionSearch.run(request, on: targets)
        } catch let e as AlcoError {
            throw StatementError(e.description)
        }
        let result = outcome.result
        if result.timedOut && limit.isInlineBudget { throw StatementHandOff() }
        var meta = QueryMeta(
            total: 0, totalFound: result.totalFound,
            seconds: Double(result.elapsedNanoseconds) / 1e9)
        meta.pendingKeywords = outcome.keywords
        meta.timeLimit = TimeLimits(server: timeLimits.server).applied(asked: askedTime)
        if result.timedOut { meta.warning = "query time exceeded max_query_time=\(limit.milliseconds ?? 0) ms" }

        // Sphinx's `total` is how many matches the query kept (up to max_matches), not how many
        // rows LIMIT returned; an aggregate is one match, and grouping counts groups.
        if isAggregate {
            meta.total = 1
            meta.totalFound = 1
        } else if request.groupBy != nil {
            meta.totalFound = result.groups.count
            meta.total = min(result.groups.count, request.maxMatches)
        } else {
            meta.total = min(result.totalFound, request.maxMatches)
            meta.maxMatches = request.maxMatches
            if !result.totalIsExact { meta.pendingCount = outcome.countAll }
        }
        return Evaluation(
            statement: s, items: expansion.items, result: result, meta: meta, isAggregate: isAggregate,
            needsMatch: needsMatch, groupKey: request.groupBy, groupOrder: groupOrder)
    }

    /// What a SELECT found: the engine's hits and counts, with what projecting them needs.
    public struct Evaluation: Sendable {
        public let statement: SelectStatement
        /// The select list's expressions with aliases expanded.
        public let items: [Expression]
        public let result: SearchResult
        public let meta: QueryMeta
        /// COUNT(*) without GROUP BY: one row.
        public let isAggregate: Bool
        /// The aggregate row shows values of a match (not only counts).
        public let needsMatch: Bool
        /// The js key (or `id`) of GROUP BY.
        public let groupKey: String?
        /// ORDER BY of a grouped SELECT that the engine's order is not (then `result` holds
        /// every group kept, and `resultSet` sorts them and cuts the page).
        let groupOrder: GroupOrder?

        /// The rows as SphinxQL shows them.
        public func resultSet() throws -> ResultSet {
            let executorColumns = try statement.items.flatMap { try SelectExecutor.columns(for: $0) }
            var rows: [[Cell]] = []
            if isAggregate {
                if needsMatch, let first = result.hits.first {
                    rows = [try RowProjection(items).cells(for: first, groupCount: result.totalFound)]
                } else {
                    rows = [
                        try statement.items.flatMap { item -> [Cell] in
                            if case .function("count", _) = item.expression { return [.int(Int64(result.totalFound))] }
                            return Array(repeating: .null, count: try SelectExecutor.columns(for: item).count)
                        }
                    ]
                }
            } else {
                let projection = RowProjection(items)
                let counts = groupCounts
                rows.reserveCapacity(result.hits.count)
                for hit in result.hits {
                    rows.append(try projection.cells(for: hit, groupCount: counts[hit.id]))
                }
                if let groupOrder { rows = groupOrder.sortedPage(rows) }
            }
            return ResultSet(columns: executorColumns, rows: rows)
        }

        /// Each group's count by the id of the row that shows it.
        public var groupCounts: [UInt64: Int] {
            Dictionary(result.groups.map { ($0.representativeID, $0.count) }, uniquingKeysWith: { a, _ in a })
        }

        /// The select list compiled once: a hit's cells, in select-list order (`*` as id,
        /// logline, js), given its group's count.
        public func makeRowCells() -> (Hit, Int?) throws -> [Cell] {
            let projection = RowProjection(items)
            return { hit, count in try projection.cells(for: hit, groupCount: count) }
        }
    }

    public static func columns(for item: SelectItem) throws -> [ResultColumn] {
        if case .star = item.expression {
            return [
                ResultColumn(name: "id", kind: .unsignedBigInt), ResultColumn(name: "logline", kind: .string),
                ResultColumn(name: "js", kind: .string),
            ]
        }
        let name = item.columnName ?? SelectExecutor.name(of: item.expression)
        switch item.expression {
        case .column("id"): return [ResultColumn(name: name, kind: .unsignedBigInt)]
        case .column, .string, .function("snippet", _): return [ResultColumn(name: name, kind: .string)]
        case .float: return [ResultColumn(name: name, kind: .double)]
        case .function("count", _), .function("weight", _), .function("in", _), .function("isnull", _), .binary, .and, .or, .not, .between,
            .inList, .integer:
            return [ResultColumn(name: name, kind: .int)]
        default: return [ResultColumn(name: name, kind: .string)]
        }
    }

    /// The column name Sphinx shows for an unaliased expression.
    public static func name(of e: Expression) -> String {
        switch e {
        case .column(let c): return c
        case .integer(let n), .float(let n): return n
        case .string(let s): return s
        case .variable(let v): return v
        case .star: return "*"
        case .null: return "NULL"
        case .function(let f, let args):
            let inner = args.map(name(of:)).joined(separator: ", ")
            return f == "count_distinct" ? "count(distinct \(inner))" : "\(f)(\(inner))"
        case .binary(let op, let a, let b): return "\(name(of: a)) \(op) \(name(of: b))"
        case .and(let xs): return xs.map(name(of:)).joined(separator: " and ")
        case .or(let xs): return xs.map(name(of:)).joined(separator: " or ")
        case .not(let x): return "not \(name(of: x))"
        case .negate(let x): return "-\(name(of: x))"
        case .between(let a, let b, let c): return "\(name(of: a)) between \(name(of: b)) and \(name(of: c))"
        case .inList(let a, let xs): return "\(name(of: a)) in (\(xs.map(name(of:)).joined(separator: ", ")))"
        }
    }

    static func matches(_ f: Filter, id: UInt64, js: JSONValue) -> Bool {
        func values(_ key: String) -> [JSONValue] {
            var v: JSONValue?
            if key.utf8.contains(UInt8(ascii: ".")) {
                v = js
                for part in key.split(separator: ".") { v = v?[String(part)] }
            } else {
                v = js[key]
            }
            switch v {
            case .some(.array(let items)): return items
            case .some(let x): return [x]
            case .none: return []
            }
        }
        switch f {
        case .always(let b): return b
        case .and(let fs): return fs.allSatisfy { matches($0, id: id, js: js) }
        case .or(let fs): return fs.contains { matches($0, id: id, js: js) }
        case .not(let x): return !matches(x, id: id, js: js)
        case .idIn(let ids): return ids.contains(id)
        case .idCompare(let op, let v): return op.holds(id, v)
        case .oneOf(let key, let wanted):
            let vs = values(key)
            return wanted.contains { w in
                vs.contains { v in
                    switch (w, v) {
                    case (.string(let s), .string(let x)): return s == x
                    case (.string(let s), .number): return Double(s) != nil && Double(s) == v.numberValue
                    case (.number(let d), _): return v.numberValue == d && v.stringValue == nil
                    default: return false
                    }
                }
            }
        case .compare(let key, let op, let d): return values(key).first?.numberValue.map { op.holds($0, d) } ?? false
        case .between(let key, let lo, let hi): return values(key).first?.numberValue.map { $0 >= lo && $0 <= hi } ?? false
        case .exists(let key): return !values(key).isEmpty
        }
    }

    /// Sphinx's snippet options string: `limit=1000000, before_match=<em>, around=3`.
    /// Reads SNIPPET() options into `options`; returns whether `query_mode` is on (how the
    /// query is read is this layer's business, not the engine's).
    @discardableResult
    static func apply(snippetOptions text: String, to options: inout SnippetOptions) -> Bool {
        var queryMode = false
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: " ") }
            guard kv.count == 2 else { continue }
            switch kv[0] {
            case "limit": options.limit = Int(kv[1]) ?? options.limit
            case "around": options.around = Int(kv[1]) ?? options.around
            case "before_match": options.beforeMatch = kv[1]
            case "after_match": options.afterMatch = kv[1]
            case "chunk_separator": options.chunkSeparator = kv[1]
            case "query_mode": queryMode = kv[1] != "0"
            default: break
            }
        }
        return queryMode
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
