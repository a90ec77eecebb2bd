/// SphinxQL expressions: select-list items, WHERE conditions, ORDER BY keys. The parser never
/// builds one nested deeper than `Parser.maxDepth`, so code that walks them may recurse.
public indirect enum Expression: Equatable, Sendable {
    /// A column or JSON path: `id`, `logline`, `js.host`, `js.a.b`, or an alias.
    case column(String)
    case integer(String)
    case float(String)
    case string(String)
    case null
    /// `@@version`, `@@session.autocommit`.
    case variable(String)
    /// `*` as a select item or inside COUNT(*).
    case star
    /// Lower-cased function name and arguments (`count`, `count_distinct`, `in`, `snippet`, `weight`, ...).
    case function(String, [Expression])
    /// Arithmetic and comparisons: `+ - * / % div = != < <= > >=`.
    case binary(String, Expression, Expression)
    /// `a AND b AND c`: one node however long the chain (a chain of 100,000 ORs is a flat
    /// list, not a tree 100,000 deep that recursion would overflow on, even when freeing it).
    case and([Expression])
    case or([Expression])
    case not(Expression)
    case negate(Expression)
    case between(Expression, Expression, Expression)
    /// `expr IN (a, b, ...)` (the infix form; the IN() function form is `.function("in", ...)`).
    case inList(Expression, [Expression])
}

public struct SelectItem: Equatable, Sendable {
    public var expression: Expression
    public var alias: String?
    /// The expression as the statement wrote it, which names its column when there is no
    /// alias (`snippet(logline, 'auth')`). Not part of equality: two items that mean the same
    /// are equal however they were spaced.
    public var written: String?

    public init(expression: Expression, alias: String? = nil, written: String? = nil) {
        self.expression = expression
        self.alias = alias
        self.written = written
    }

    public static func == (a: SelectItem, b: SelectItem) -> Bool { a.expression == b.expression && a.alias == b.alias }

    /// The column's name, as Sphinx gives it: the alias, or the expression as written, each
    /// lowercased up to the first `.`, `,` or `[` outside nothing but quotes (`JS.Lvl` names
    /// `js.Lvl`, `SNIPPET(LOGLINE, 'Auth')` names `snippet(logline, 'Auth')`).
    public var columnName: String? {
        guard let text = alias ?? written else { return nil }
        var out = Array(text.utf8)
        var quoted = false
        for k in out.indices {
            let c = out[k]
            if c == UInt8(ascii: ".") || c == UInt8(ascii: ",") || c == UInt8(ascii: "[") { break }
            if !quoted && c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") { out[k] = c + 32 }
            if c == UInt8(ascii: "'") { quoted.toggle() }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

public struct OrderKey: Equatable, Sendable {
    public var expression: Expression
    public var descending: Bool

    public init(expression: Expression, descending: Bool) {
        self.expression = expression
        self.descending = descending
    }
}

public enum OptionValue: Equatable, Sendable {
    case integer(String)
    case float(String)
    case string(String)
    case word(String)
    /// `field_weights=(a=1, b=2)`.
    case list([(String, String)])

    public static func == (a: OptionValue, b: OptionValue) -> Bool {
        switch (a, b) {
        case (.integer(let x), .integer(let y)), (.float(let x), .float(let y)), (.string(let x), .string(let y)),
            (.word(let x), .word(let y)):
            return x == y
        case (.list(let x), .list(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default:
            return false
        }
    }
}

public struct SelectStatement: Equatable, Sendable {
    public var items: [SelectItem] = []
    public var tables: [String] = []
    public var whereClause: Expression?
    public var groupBy: [Expression] = []
    public var withinGroupOrderBy: [OrderKey] = []
    public var orderBy: [OrderKey] = []
    public var offset: Int = 0
    public var limit: Int?
    public var options: [(name: String, value: OptionValue)] = []

    public init(
        items: [SelectItem] = [], tables: [String] = [], whereClause: Expression? = nil, groupBy: [Expression] = [],
        withinGroupOrderBy: [OrderKey] = [], orderBy: [OrderKey] = [], offset: Int = 0, limit: Int? = nil,
        options: [(name: String, value: OptionValue)] = []
    ) {
        self.items = items
        self.tables = tables
        self.whereClause = whereClause
        self.groupBy = groupBy
        self.withinGroupOrderBy = withinGroupOrderBy
        self.orderBy = orderBy
        self.offset = offset
        self.limit = limit
        self.options = options
    }

    public static func == (a: SelectStatement, b: SelectStatement) -> Bool {
        a.items == b.items && a.tables == b.tables && a.whereClause == b.whereClause && a.groupBy == b.groupBy
            && a.withinGroupOrderBy == b.withinGroupOrderBy && a.orderBy == b.orderBy && a.offset == b.offset
            && a.limit == b.limit && a.options.count == b.options.count
            && zip(a.options, b.options).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}

public enum ShowKind: Equatable, Sendable {
    case meta, tables, status, variables, warnings, collation, characterSet, agentStatus, threads, plan, profile
    case indexStatus(String)
    case createTable(String)
}

public enum Statement: Equatable, Sendable {
    case select(SelectStatement)
    case show(ShowKind, like: String?)
    case describe(String, like: String?)
    /// `SET [GLOBAL|SESSION] name = value`, `SET NAMES x`, `SET autocommit=0`, ...
    case set(name: String, value: Expression, global: Bool)
    case setTransaction(String)
    case insert(table: String, columns: [String], rows: [[Expression]], replace: Bool)
    case delete(table: String, where: Expression)
    case call(name: String, arguments: [Expression], options: [SelectItem])
    case flushRTIndex(String)
    case optimizeIndex(String)
    case truncateRTIndex(String)
    /// `ALTER TABLE t ADD COLUMN c type`.
    case alterAddColumn(table: String, column: String, type: String)
    /// `ALTER TABLE t DROP COLUMN c`.
    case alterDropColumn(table: String, column: String)
    /// `ALTER RTINDEX t RECONFIGURE`.
    case reconfigure(String)
    /// `ATTACH INDEX source TO RTINDEX target [WITH TRUNCATE]`.
    case attach(source: String, target: String)
    case begin
    case commit
    case rollback
    case use(String)
}

extension Statement {
    /// The statement's kind in one lowercase word (`select`, `insert`, `show`, ...): few and
    /// fixed, so metrics and logs can be labelled by it.
    public var kind: String {
        switch self {
        case .select: "select"
        case .show: "show"
        case .describe: "describe"
        case .set, .setTransaction: "set"
        case .insert(_, _, _, let replace): replace ? "replace" : "insert"
        case .delete: "delete"
        case .call: "call"
        case .flushRTIndex: "flush"
        case .optimizeIndex: "optimize"
        case .truncateRTIndex: "truncate"
        case .alterAddColumn, .alterDropColumn, .reconfigure: "alter"
        case .attach: "attach"
        case .begin: "begin"
        case .commit: "commit"
        case .rollback: "rollback"
        case .use: "use"
        }
    }

    /// Every value `kind` takes.
    public static let kinds = [
        "select", "show", "describe", "set", "insert", "replace", "delete", "call", "flush", "optimize", "truncate", "alter",
        "attach", "begin", "commit", "rollback", "use",
    ]
}
