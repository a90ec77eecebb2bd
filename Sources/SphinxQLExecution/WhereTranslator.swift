import AlcoIndex
import SphinxQL

/// An error a client sees as a MySQL error packet: Sphinx's code and wording.
public struct StatementError: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: UInt16
    public var sqlState: String
    public var message: String

    public init(_ message: String, code: UInt16 = 1064, sqlState: String = "42000") {
        self.message = message
        self.code = code
        self.sqlState = sqlState
    }

    public var description: String { message }
}

/// Turns a SELECT's WHERE clause into the engine's full-text query and filter tree.
///
/// Handles the shapes ALCO and django-sphinxsearch send: `MATCH('...')`, comparisons on `id`
/// and `js.key`, `IN(js.key, ...)` and `IN(id, ...)` expressions, BETWEEN, NOT/AND/OR, and
/// conditions compared with 1 or 0 (`__where_result = 1`, once `AliasExpansion` has put the
/// alias's condition in its place).
public struct WhereTranslator {
    public init() {}

    public struct Translation: Equatable {
        public var text: TextQuery = .all
        public var filter: Filter = .always(true)
    }

    public func translate(_ e: Expression?) throws -> Translation {
        var out = Translation()
        guard let e else { return out }
        var texts: [TextQuery] = []
        var filters: [Filter] = []
        try split(e, texts: &texts, filters: &filters)
        if texts.count > 1 { throw StatementError("only one MATCH() is allowed") }
        if let t = texts.first { out.text = t }
        if !filters.isEmpty { out.filter = filters.count == 1 ? filters[0] : .and(filters) }
        return out
    }

    /// Top-level AND: MATCH() goes to the text query, everything else to filters.
    func split(_ e: Expression, texts: inout [TextQuery], filters: inout [Filter]) throws {
        switch e {
        case .and(let xs):
            for x in xs { try split(x, texts: &texts, filters: &filters) }
        case .function("match", let args):
            guard args.count == 1, case .string(let q) = args[0] else { throw StatementError("MATCH() takes one string") }
            do {
                texts.append(try QueryParser.parse(q))
            } catch let AlcoError.query(message, position) {
                throw StatementError("index: syntax error in query at \(position): \(message)")
            }
        case .binary("=", let condition, let one) where isCondition(condition) && isTrue(one):
            try split(condition, texts: &texts, filters: &filters)
        default:
            filters.append(try filter(e))
        }
    }

    func isTrue(_ e: Expression) -> Bool {
        if case .integer("1") = e { return true }
        return false
    }

    /// Whether an expression is a condition (1 or 0) rather than a value to compare.
    func isCondition(_ e: Expression) -> Bool {
        switch e {
        case .and, .or, .not, .between, .inList, .function("in", _), .function("match", _), .function("isnull", _): return true
        case .binary(let op, _, _): return Comparison(rawValue: op) != nil
        default: return false
        }
    }

    public func filter(_ e: Expression) throws -> Filter {
        switch e {
        case .and(let xs): return .and(try xs.map(filter))
        case .or(let xs): return .or(try xs.map(filter))
        case .not(let x): return .not(try filter(x))
        case .binary("=", let condition, let v) where isCondition(condition):
            if isTrue(v) { return try filter(condition) }
            if case .integer("0") = v { return .not(try filter(condition)) }
            throw StatementError("a condition compares with 1 or 0 only")
        case .function("in", let args):
            guard let first = args.first else { throw StatementError("IN() needs arguments") }
            return try membership(first, Array(args.dropFirst()))
        case .inList(let lhs, let items):
            return try membership(lhs, items)
        case .function("isnull", let args):
            // `js.key IS NULL`: the line has no such key (Sphinx reads a JSON null the same).
            guard args.count == 1, case .column(let c) = args[0] else { throw StatementError("IS NULL needs a js.key") }
            return .not(.exists(key: try jsKey(c)))
        case .between(.column(let c), let lo, let hi):
            if c == "id" {
                return .and([.idCompare(.greaterOrEqual, try unsigned(lo)), .idCompare(.lessOrEqual, try unsigned(hi))])
            }
            return .between(key: try jsKey(c), try number(lo), try number(hi))
        case .binary(let op, let lhs, let rhs):
            guard let cmp = Comparison(rawValue: op) else { throw StatementError("unsupported operator '\(op)' in WHERE") }
            // Normalise to column OP value.
            if case .column = lhs { return try comparison(lhs, cmp, rhs) }
            if case .column = rhs { return try comparison(rhs, flip(cmp), lhs) }
            throw StatementError("unsupported condition in WHERE")
        case .integer(let n): return .always(n != "0")
        case .function("match", _):
            throw StatementError("MATCH() may only be ANDed with the rest of WHERE")
        default:
            throw StatementError("unsupported expression in WHERE")
        }
    }

    func flip(_ c: Comparison) -> Comparison {
        switch c {
        case .less: return .greater
        case .lessOrEqual: return .greaterOrEqual
        case .greater: return .less
        case .greaterOrEqual: return .lessOrEqual
        default: return c
        }
    }

    func comparison(_ column: Expression, _ op: Comparison, _ value: Expression) throws -> Filter {
        guard case .column(let c) = column else { throw StatementError("unsupported condition in WHERE") }
        if c == "id" { return .idCompare(op, try unsigned(value)) }
        let key = try jsKey(c)
        switch (op, value) {
        case (.equal, .string(let s)): return .oneOf(key: key, values: [.string(s)])
        case (.notEqual, .string(let s)): return .not(.oneOf(key: key, values: [.string(s)]))
        default: return .compare(key: key, op, try number(value))
        }
    }

    func membership(_ lhs: Expression, _ items: [Expression]) throws -> Filter {
        guard case .column(let c) = lhs else { throw StatementError("IN() needs a column") }
        if c == "id" { return .idIn(try items.map(unsigned)) }
        let values: [FilterValue] = try items.map { item in
            switch item {
            case .string(let s): return .string(s)
            case .integer, .float: return .number(try number(item))
            default: throw StatementError("IN() takes constants")
            }
        }
        return .oneOf(key: try jsKey(c), values: values)
    }

    /// `js.a.b` → `a.b` (attributes other than id and js paths are not filterable).
    func jsKey(_ column: String) throws -> String {
        guard column.hasPrefix("js.") else { throw StatementError("unknown attribute '\(column)'") }
        return String(column.dropFirst(3))
    }

    func unsigned(_ e: Expression) throws -> UInt64 {
        guard case .integer(let n) = e, let v = UInt64(n) else { throw StatementError("id must be compared with an unsigned integer") }
        return v
    }

    func number(_ e: Expression) throws -> Double {
        switch e {
        case .integer(let n): if let d = Double(n) { return d }
        case .float(let f): if let d = Double(f) { return d }
        default: break
        }
        throw StatementError("a number was expected")
    }
}
