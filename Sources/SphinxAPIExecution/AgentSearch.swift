import AlcoIndex
import SphinxAPI
import SphinxQL
import SphinxQLExecution

/// Answers one query of a master's (or a client's) SEARCH as a Sphinx agent does: the matches
/// up to max_matches, each with the attributes its select list names typed as searchd types
/// them, so the master merges, sorts and prints them as it would a Sphinx agent's.
struct AgentSearch {
    let catalog: Catalog
    var timeLimits = TimeLimits()
    /// Whether the answer goes to a master (packed JSON) or to a client (JSON as text).
    var toMaster = true
    /// The bytes of match values one answer may hold: a master may ask for a million
    /// documents (max_matches), and lines can be megabytes each. Past it the answer stops
    /// with a warning (searchd's masters refuse replies past their max_packet_size anyway).
    var maxReplyBytes = 64 << 20

    /// Where each attribute's value comes from.
    enum Source {
        case cell(Int)
        case jsonDocument
        case jsonPath([String])
        case groupCount
        case groupHash
        case groupValue
        case implicitGroup
        case sortText([String])
    }

    func run(_ query: APIQuery) -> APISearchResult {
        var meta: QueryMeta?
        return run(query, meta: &meta)
    }

    /// The answer, and in `meta` the query's SHOW META (nil when it failed).
    func run(_ query: APIQuery, meta: inout QueryMeta?) -> APISearchResult {
        let tables = AgentQuery.indexNames(query.indexes)
        do {
            return try search(AgentQuery(query), meta: &meta)
        } catch {
            meta = nil
            let message = (error as? StatementError)?.message ?? String(describing: error)
            return .failure(tables.isEmpty ? message : "index \(tables.joined(separator: ",")): \(message)")
        }
    }

    private func search(_ agent: AgentQuery, meta resolvedMeta: inout QueryMeta?) throws -> APISearchResult {
        var statement = agent.statement
        let isGrouped = !statement.groupBy.isEmpty
        let counts = statement.items.contains {
            if case .function("count", _) = $0.expression { return true }; return false
        }
        let isImplicitGroup = !isGrouped && counts
        // The implicit group is one match: a match of the query (the smallest id) stands for it.
        if isImplicitGroup { statement.items.append(SelectItem(expression: .column("id"), alias: "@agent_id")) }

        let found = try SelectExecutor(catalog: catalog, timeLimits: timeLimits).evaluate(statement)
        let meta = try found.meta.resolved()
        resolvedMeta = meta

        // The schema, and where each attribute's value comes from.
        var attributes: [APISearchResult.Attribute] = []
        var sources: [Source] = []
        func add(_ name: String, _ type: APIAttributeType, _ source: Source) {
            attributes.append(.init(name, type))
            sources.append(source)
        }
        var cell = 0
        var hasDocumentJSON = false
        let visibleItems = agent.statement.items.count
        for (k, item) in statement.items.enumerated() where k < visibleItems {
            let expression = found.items[k]
            let name = item.columnName ?? SelectExecutor.name(of: item.expression)
            switch expression {
            case .star:
                add("logline", .string, .cell(cell + 1))
                add("js", .json, .jsonDocument)
                hasDocumentJSON = true
                cell += 3
                continue
            case .column("id"): add(name, .bigint, .cell(cell))
            case .column("logline"): add(name, .string, .cell(cell))
            case .column("js"):
                add(name, .json, .jsonDocument)
                hasDocumentJSON = true
            case .column(let c) where AgentQuery.jsPath(c) != nil:
                add(name, .jsonField, .jsonPath(AgentQuery.jsPath(c)!))
            case .function("count", _) where isGrouped || isImplicitGroup:
                break  // the group's count travels as @count
            default:
                let kind = try SelectExecutor.columns(for: item).first?.kind ?? .string
                switch kind {
                case .int: add(name, .integer, .cell(cell))
                case .bigInt, .unsignedBigInt: add(name, .bigint, .cell(cell))
                case .double: add(name, .float, .cell(cell))
                case .string: add(name, .stringPointer, .cell(cell))
                }
            }
            cell += 1
        }
        var groupPath: [String]?
        if isGrouped, let key = agent.groupBy {
            var target = Expression.column(key)
            if let aliased = agent.statement.items.first(where: { $0.alias == key }) { target = aliased.expression }
            if case .column(let c) = target, let path = AgentQuery.jsPath(c) {
                groupPath = path
                // searchd reads a group key written as a JSON path from the document itself.
                if key.hasPrefix("js.") && !hasDocumentJSON { add("js", .json, .jsonDocument) }
            }
        }
        for key in agent.jsonSortKeys { add("@int_str2ptr_\(key.name)", .stringPointer, .sortText(key.path)) }
        if isGrouped {
            add("@count", .integer, .groupCount)
            add("@groupby", .bigint, .groupHash)
            add("@groupbystr", .jsonField, .groupValue)
        } else if isImplicitGroup {
            add("@count", .integer, .groupCount)
            add("@groupby", .integer, .implicitGroup)
        }

        var result = APISearchResult()
        result.fields = ["logline", "js"]
        result.milliseconds = Int(meta.seconds * 1000)
        result.words = meta.keywords.map { APISearchResult.WordStats(word: $0.keyword, documents: $0.docs, hits: $0.hits) }
        if let warning = meta.warning {
            result.status = .warning
            result.message = warning
        }
        let hasText = agent.statement.whereClause.map(Self.hasMatch) ?? false
        let rowCells = found.makeRowCells()
        let groupCounts = isGrouped ? found.groupCounts : [:]
        var replyBytes = 0
        for hit in found.result.hits {
            let groupCount = isGrouped ? groupCounts[hit.id] : isImplicitGroup ? found.result.totalFound : nil
            let cells = try rowCells(hit, groupCount)
            var document: JSONValue?
            func json() -> JSONValue {
                if let document { return document }
                let parsed = (try? JSONParser.parse(hit.js)) ?? .object([])
                document = parsed
                return parsed
            }
            var values: [APIValue] = []
            values.reserveCapacity(sources.count)
            for (k, source) in sources.enumerated() {
                switch source {
                case .cell(let i): values.append(Self.value(cells[i], as: attributes[k].type))
                case .jsonDocument:
                    if toMaster {
                        values.append(.json((try? PackedJSONPacker.document(hit.js)) ?? PackedJSON(json()).packedDocument()))
                    } else {
                        values.append(.string(hit.js.isEmpty ? Array("{}".utf8) : Array(hit.js.utf8)))
                    }
                case .jsonPath(let path): values.append(.jsonField(Self.member(json(), path), toMaster: toMaster))
                case .groupCount: values.append(.integer(UInt32(clamping: groupCount ?? 1)))
                case .groupHash: values.append(.bigint(GroupKeyHash.key(of: groupPath.flatMap { Self.member(json(), $0) })))
                case .groupValue: values.append(.jsonField(groupPath.flatMap { Self.member(json(), $0) }, toMaster: toMaster))
                case .implicitGroup: values.append(.integer(1))
                case .sortText(let path):
                    values.append(.string(Self.member(json(), path).map { Array(Self.sortText($0).utf8) }))
                }
            }
            let weight = hasText && !isImplicitGroup ? Int32(clamping: hit.weight) : 1
            replyBytes += 12 + values.reduce(0) { $0 + $1.byteCount }
            if replyBytes > maxReplyBytes && !result.matches.isEmpty {
                result.status = .warning
                result.message = "answer cut to \(result.matches.count) matches: their values reached \(maxReplyBytes >> 20) MiB"
                break
            }
            result.matches.append(.init(id: hit.id, weight: weight, values: values))
        }
        if isGrouped {
            result.totalFound = found.result.groups.count
        } else if isImplicitGroup {
            result.totalFound = result.matches.count
        } else {
            result.totalFound = meta.totalFound
        }
        result.retained = min(result.totalFound, Int(agent.query.maxMatches))
        if result.matches.isEmpty {
            // searchd's schema of an empty result: the index's attributes, what the select list
            // computes, then the group's own.
            var empty: [APISearchResult.Attribute] = [.init("logline", .string), .init("js", .json)]
            empty += attributes.filter { !["logline", "js"].contains($0.name) && !$0.name.hasPrefix("@") }
            if isGrouped {
                empty += [.init("@groupby", .bigint), .init("@count", .integer), .init("@groupbystr", .jsonField)]
            } else if isImplicitGroup {
                empty += [.init("@groupby", .integer), .init("@count", .integer)]
            }
            result.attributes = empty
        } else {
            result.attributes = attributes
        }
        return result
    }

    static func hasMatch(_ e: Expression) -> Bool {
        switch e {
        case .function("match", _): return true
        case .and(let xs), .or(let xs): return xs.contains(where: hasMatch)
        case .not(let x): return hasMatch(x)
        default: return false
        }
    }

    static func member(_ value: JSONValue, _ path: [String]) -> JSONValue? {
        var v: JSONValue? = value
        for part in path { v = v?[part] }
        return v
    }

    /// A JSON value as searchd prints it to sort by: numbers with six decimals.
    static func sortText(_ value: JSONValue) -> String {
        switch value {
        case .number(let text):
            if let n = Int64(text) { return String(n) }
            return Cell.double(Double(text) ?? 0).text ?? text
        default: return value.displayText
        }
    }

    static func value(_ cell: Cell, as type: APIAttributeType) -> APIValue {
        switch (type, cell) {
        case (.bigint, .unsigned(let v)): return .bigint(Int64(bitPattern: v))
        case (.bigint, .int(let v)): return .bigint(v)
        case (.integer, .int(let v)): return .integer(UInt32(truncatingIfNeeded: v))
        case (.integer, .unsigned(let v)): return .integer(UInt32(truncatingIfNeeded: v))
        case (.float, .double(let d)): return .float(Float(d))
        case (_, .null): return type == .integer ? .integer(0) : type == .bigint ? .bigint(0) : .string(nil)
        default: return .string(cell.text.map { Array($0.utf8) })
        }
    }
}
