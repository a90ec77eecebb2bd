/// Parses SphinxQL (Sphinx 2.2's dialect plus the statements MySQL clients send on connect)
/// into `Statement`s. Several statements separated by `;` form a batch.
public struct Parser {
    private var tokens: [Token]
    private var p = 0
    private let text: [UInt8]
    /// How deep the expression being parsed nests here (parentheses, function arguments, NOT,
    /// unary minus, and each operand of an arithmetic chain, which nests its left side).
    private var depth = 0

    /// The deepest expression accepted: Sphinx 2.2.11's parser runs out of stack at about
    /// 190 nested parentheses ("memory exhausted"); alco stops at the same depth with a clear
    /// error rather than recursing on.
    public static let maxDepth = 190

    init(_ text: String) throws {
        tokens = try Lexer.tokenize(text)
        self.text = Array(text.utf8)
    }

    /// Every statement of a batch (`SELECT ...; SHOW META`).
    public static func parseBatch(_ text: String) throws -> [Statement] {
        var parser = try Parser(text)
        var out: [Statement] = []
        while true {
            while parser.accept(symbol: ";") {}
            if parser.peek.kind == .end { break }
            out.append(try parser.statement())
            if parser.peek.kind == .end { break }
            try parser.expect(symbol: ";")
        }
        return out
    }

    public static func parse(_ text: String) throws -> Statement {
        var parser = try Parser(text)
        let s = try parser.statement()
        _ = parser.accept(symbol: ";")
        guard parser.peek.kind == .end else { throw parser.unexpected(expecting: "$end") }
        return s
    }

    // MARK: token helpers

    var peek: Token { tokens[p] }

    mutating func advance() -> Token {
        let t = tokens[p]
        if p < tokens.count - 1 { p += 1 }
        return t
    }

    func isWord(_ w: String, at offset: Int = 0) -> Bool {
        guard p + offset < tokens.count, case .word(let x) = tokens[p + offset].kind else { return false }
        return Parser.sameIgnoringASCIICase(x, w)
    }

    /// Keyword comparison without the two uppercased copies it took per check (a SELECT's
    /// parse asks dozens of times).
    static func sameIgnoringASCIICase(_ a: String, _ b: String) -> Bool {
        var x = a.utf8.makeIterator()
        var y = b.utf8.makeIterator()
        while true {
            switch (x.next(), y.next()) {
            case (nil, nil): return true
            case (let c?, let d?):
                if c == d { continue }
                let folded = c | 0x20
                guard folded >= UInt8(ascii: "a"), folded <= UInt8(ascii: "z"), folded == d | 0x20 else { return false }
            default: return false
            }
        }
    }

    mutating func accept(_ w: String) -> Bool {
        if isWord(w) {
            p += 1
            return true
        }
        return false
    }

    mutating func accept(symbol s: String) -> Bool {
        if case .symbol(s) = peek.kind {
            p += 1
            return true
        }
        return false
    }

    mutating func expect(_ w: String) throws {
        guard accept(w) else { throw unexpected(expecting: w) }
    }

    mutating func expect(symbol s: String) throws {
        guard accept(symbol: s) else { throw unexpected(expecting: "'\(s)'") }
    }

    func unexpected(expecting: String? = nil) -> SphinxQLError {
        let t = peek
        var message = "syntax error, unexpected \(t.described)"
        if let expecting { message += ", expecting \(expecting)" }
        return SphinxQLError(message: message, offset: t.offset, near: Lexer.text(text, from: t.offset))
    }

    /// A table, column or alias name: bare or backtick-quoted.
    mutating func name() throws -> String {
        switch peek.kind {
        case .word(let w):
            p += 1
            return w
        case .quoted(let q):
            p += 1
            return q
        default:
            throw unexpected(expecting: "IDENT")
        }
    }

    mutating func integer() throws -> Int {
        guard case .integer(let n) = peek.kind, let v = Int(n) else { throw unexpected(expecting: "CONST_INT") }
        p += 1
        return v
    }

    mutating func stringLiteral() throws -> String {
        guard case .string(let s) = peek.kind else { throw unexpected(expecting: "QUOTED_STRING") }
        p += 1
        return s
    }

    // MARK: statements

    mutating func statement() throws -> Statement {
        if accept("SELECT") { return .select(try select()) }
        if accept("SHOW") { return try show() }
        if accept("DESCRIBE") || accept("DESC") {
            let t = try name()
            return .describe(t, like: accept("LIKE") ? try stringLiteral() : nil)
        }
        if accept("SET") { return try set() }
        if accept("INSERT") { return try insert(replace: false) }
        if accept("REPLACE") { return try insert(replace: true) }
        if accept("DELETE") {
            try expect("FROM")
            let t = try name()
            try expect("WHERE")
            return .delete(table: t, where: try expression())
        }
        if accept("CALL") { return try call() }
        if accept("FLUSH") {
            try expect("RTINDEX")
            return .flushRTIndex(try name())
        }
        if accept("OPTIMIZE") {
            try expect("INDEX")
            return .optimizeIndex(try name())
        }
        if accept("TRUNCATE") {
            try expect("RTINDEX")
            return .truncateRTIndex(try name())
        }
        if accept("ALTER") { return try alter() }
        if accept("ATTACH") {
            try expect("INDEX")
            let source = try name()
            try expect("TO")
            try expect("RTINDEX")
            let target = try name()
            if accept("WITH") { try expect("TRUNCATE") }
            return .attach(source: source, target: target)
        }
        if accept("BEGIN") { return .begin }
        if accept("START") {
            try expect("TRANSACTION")
            return .begin
        }
        if accept("COMMIT") { return .commit }
        if accept("ROLLBACK") { return .rollback }
        if accept("USE") { return .use(try name()) }
        throw unexpected()
    }

    mutating func alter() throws -> Statement {
        if accept("RTINDEX") {
            let t = try name()
            try expect("RECONFIGURE")
            return .reconfigure(t)
        }
        try expect("TABLE")
        let t = try name()
        if accept("ADD") {
            try expect("COLUMN")
            let c = try name()
            return .alterAddColumn(table: t, column: c, type: try name().lowercased())
        }
        try expect("DROP")
        try expect("COLUMN")
        return .alterDropColumn(table: t, column: try name())
    }

    /// The statement's text from `start` to the next token, without the blanks before it.
    private func writtenText(from start: Int) -> String {
        var end = min(peek.offset, text.count)
        while end > start, [0x20, 0x09, 0x0A, 0x0D].contains(text[end - 1]) { end -= 1 }
        return String(decoding: text[min(start, end)..<end], as: UTF8.self)
    }

    mutating func select() throws -> SelectStatement {
        var s = SelectStatement()
        repeat {
            let start = peek.offset
            let e = try expression()
            let written = writtenText(from: start)
            var alias: String?
            // Aliases are names too: without case, as their references are.
            if accept("AS") {
                alias = try name().lowercased()
            } else if case .quoted(let q) = peek.kind {
                p += 1
                alias = q.lowercased()
            }
            s.items.append(SelectItem(expression: e, alias: alias, written: written))
        } while accept(symbol: ",")
        guard accept("FROM") else {
            // SELECT 1, SELECT @@version: no table; LIMIT is allowed as clients send it.
            if accept("LIMIT") { s.limit = try integer() }
            return s
        }
        repeat { s.tables.append(try name()) } while accept(symbol: ",")
        if accept("WHERE") { s.whereClause = try expression() }
        if accept("GROUP") {
            try expect("BY")
            repeat { s.groupBy.append(try expression()) } while accept(symbol: ",")
        }
        if accept("WITHIN") {
            try expect("GROUP")
            try expect("ORDER")
            try expect("BY")
            s.withinGroupOrderBy = try orderKeys()
        }
        if accept("ORDER") {
            try expect("BY")
            s.orderBy = try orderKeys()
        }
        if accept("LIMIT") {
            let first = try integer()
            if accept(symbol: ",") {
                s.offset = first
                s.limit = try integer()
            } else {
                s.limit = first
            }
        }
        if accept("OPTION") {
            repeat {
                let n = try name().lowercased()
                try expect(symbol: "=")
                s.options.append((n, try optionValue()))
            } while accept(symbol: ",")
        }
        return s
    }

    mutating func orderKeys() throws -> [OrderKey] {
        var keys: [OrderKey] = []
        repeat {
            let e = try expression()
            var desc = false
            if accept("DESC") { desc = true } else { _ = accept("ASC") }
            keys.append(OrderKey(expression: e, descending: desc))
        } while accept(symbol: ",")
        return keys
    }

    mutating func optionValue() throws -> OptionValue {
        switch advance().kind {
        case .integer(let n): return .integer(n)
        case .float(let f): return .float(f)
        case .string(let s): return .string(s)
        case .word(let w): return .word(w)
        case .symbol("("):
            var pairs: [(String, String)] = []
            repeat {
                let k = try name()
                try expect(symbol: "=")
                guard case .integer(let v) = advance().kind else { throw unexpected(expecting: "CONST_INT") }
                pairs.append((k, v))
            } while accept(symbol: ",")
            try expect(symbol: ")")
            return .list(pairs)
        default:
            p -= 1
            throw unexpected(expecting: "option value")
        }
    }

    mutating func show() throws -> Statement {
        func like() throws -> String? { try accept("LIKE") ? stringLiteral() : nil }
        _ = accept("GLOBAL") || accept("SESSION")
        if accept("META") { return .show(.meta, like: try like()) }
        if accept("TABLES") { return .show(.tables, like: try like()) }
        if accept("STATUS") { return .show(.status, like: try like()) }
        if accept("VARIABLES") { return .show(.variables, like: try like()) }
        if accept("WARNINGS") { return .show(.warnings, like: nil) }
        if accept("COLLATION") { return .show(.collation, like: try like()) }
        if accept("CHARACTER") {
            try expect("SET")
            return .show(.characterSet, like: try like())
        }
        if accept("THREADS") { return .show(.threads, like: nil) }
        if accept("PLAN") { return .show(.plan, like: nil) }
        if accept("PROFILE") { return .show(.profile, like: nil) }
        if accept("AGENT") {
            try expect("STATUS")
            return .show(.agentStatus, like: try like())
        }
        if accept("INDEX") {
            let t = try name()
            try expect("STATUS")
            return .show(.indexStatus(t), like: try like())
        }
        if accept("CREATE") {
            try expect("TABLE")
            return .show(.createTable(try name()), like: nil)
        }
        throw unexpected()
    }

    mutating func set() throws -> Statement {
        var global = false
        if accept("GLOBAL") { global = true } else { _ = accept("SESSION") }
        if accept("TRANSACTION") {
            var rest: [String] = []
            while peek.kind != .end, peek.kind != .symbol(";") {
                if case .word(let w) = advance().kind { rest.append(w.uppercased()) }
            }
            return .setTransaction(rest.joined(separator: " "))
        }
        if accept("NAMES") {
            let charset: Expression
            switch advance().kind {
            case .word(let w), .string(let w): charset = .string(w)
            default:
                p -= 1
                throw unexpected(expecting: "IDENT")
            }
            if accept("COLLATE") { _ = advance() }
            return .set(name: "names", value: charset, global: false)
        }
        var n: String
        switch peek.kind {
        case .variable(let v):
            p += 1
            n = v
        default:
            n = try name()
        }
        while accept(symbol: ".") { n += "." + (try name()) }
        try expect(symbol: "=")
        return .set(name: n, value: try expression(), global: global)
    }

    mutating func insert(replace: Bool) throws -> Statement {
        try expect("INTO")
        let t = try name()
        var columns: [String] = []
        if accept(symbol: "(") {
            repeat { columns.append(try name()) } while accept(symbol: ",")
            try expect(symbol: ")")
        }
        try expect("VALUES")
        var rows: [[Expression]] = []
        repeat {
            try expect(symbol: "(")
            var row: [Expression] = []
            row.reserveCapacity(columns.count)
            repeat { row.append(try value()) } while accept(symbol: ",")
            try expect(symbol: ")")
            rows.append(row)
        } while accept(symbol: ",")
        return .insert(table: t, columns: columns, rows: rows, replace: replace)
    }

    /// One value of an INSERT row. A bulk INSERT is thousands of plain literals: one followed
    /// by `,` or `)` is taken as it is, without descending through every precedence level
    /// (the same Expression `expression()` would give).
    mutating func value() throws -> Expression {
        if p + 1 < tokens.count, case .symbol(let next) = tokens[p + 1].kind, next == "," || next == ")" {
            switch tokens[p].kind {
            case .integer, .float, .string: return try primary()
            default: break
            }
        }
        return try expression()
    }

    mutating func call() throws -> Statement {
        let n = try name().lowercased()
        try expect(symbol: "(")
        var args: [Expression] = []
        var options: [SelectItem] = []
        if !accept(symbol: ")") {
            repeat {
                let e = try expression()
                if accept("AS") {
                    options.append(SelectItem(expression: e, alias: try name()))
                } else {
                    args.append(e)
                }
            } while accept(symbol: ",")
            try expect(symbol: ")")
        }
        return .call(name: n, arguments: args, options: options)
    }

    // MARK: expressions

    /// One level deeper for `body`; past `maxDepth` an error, before any recursion.
    mutating func nested<T>(_ levels: Int = 1, _ body: (inout Parser) throws -> T) throws -> T {
        try enter(levels)
        defer { depth -= levels }
        return try body(&self)
    }

    mutating func enter(_ levels: Int) throws {
        depth += levels
        if depth > Parser.maxDepth {
            depth -= levels
            let t = peek
            throw SphinxQLError(
                message: "memory exhausted (expression nested deeper than \(Parser.maxDepth) levels)",
                offset: t.offset, near: Lexer.text(text, from: t.offset))
        }
    }

    /// Words that end an expression rather than name a column.
    static let reserved: Set<String> = [
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "BETWEEN", "GROUP", "BY", "ORDER", "LIMIT", "OPTION",
        "AS", "ASC", "DESC", "WITHIN", "IS", "VALUES", "INTO",
    ]

    mutating func expression() throws -> Expression { try orExpr() }

    mutating func orExpr() throws -> Expression {
        let first = try andExpr()
        guard isWord("OR") else { return first }
        var items = [first]
        while accept("OR") { items.append(try andExpr()) }
        return .or(items)
    }

    mutating func andExpr() throws -> Expression {
        let first = try notExpr()
        guard isWord("AND") else { return first }
        var items = [first]
        while accept("AND") { items.append(try notExpr()) }
        return .and(items)
    }

    mutating func notExpr() throws -> Expression {
        if accept("NOT") { return .not(try nested { try $0.notExpr() }) }
        return try comparison()
    }

    mutating func comparison() throws -> Expression {
        let lhs = try additive()
        if case .symbol(let s) = peek.kind, ["=", "!=", "<", "<=", ">", ">="].contains(s) {
            p += 1
            return .binary(s, lhs, try additive())
        }
        let negated = isWord("NOT") && (isWord("BETWEEN", at: 1) || isWord("IN", at: 1))
        if negated { p += 1 }
        if accept("BETWEEN") {
            let (lo, hi) = try nested { parser -> (Expression, Expression) in
                let lo = try parser.additive()
                try parser.expect("AND")
                return (lo, try parser.additive())
            }
            let e = Expression.between(lhs, lo, hi)
            return negated ? .not(e) : e
        }
        if accept("IN") {
            try expect(symbol: "(")
            let items = try nested { parser -> [Expression] in
                var items: [Expression] = []
                repeat { items.append(try parser.additive()) } while parser.accept(symbol: ",")
                return items
            }
            try expect(symbol: ")")
            let e = Expression.inList(lhs, items)
            return negated ? .not(e) : e
        }
        if accept("IS") {
            let neg = accept("NOT")
            try expect("NULL")
            let e = Expression.function("isnull", [lhs])
            return neg ? .not(e) : e
        }
        return lhs
    }

    /// `a + b - c`: left-associative, so each further operand nests the tree one level deeper
    /// and counts against `maxDepth`.
    mutating func additive() throws -> Expression {
        var e = try multiplicative()
        var levels = 0
        defer { depth -= levels }
        while true {
            let op: String
            if accept(symbol: "+") { op = "+" } else if accept(symbol: "-") { op = "-" } else { return e }
            try enter(1)
            levels += 1
            e = .binary(op, e, try multiplicative())
        }
    }

    mutating func multiplicative() throws -> Expression {
        var e = try unary()
        var levels = 0
        defer { depth -= levels }
        while true {
            let op: String
            if accept(symbol: "*") {
                op = "*"
            } else if accept(symbol: "/") {
                op = "/"
            } else if accept(symbol: "%") || accept("MOD") {
                op = "%"
            } else if accept("DIV") {
                op = "div"
            } else {
                return e
            }
            try enter(1)
            levels += 1
            e = .binary(op, e, try unary())
        }
    }

    mutating func unary() throws -> Expression {
        if accept(symbol: "-") {
            switch peek.kind {
            case .integer(let n):
                p += 1
                return .integer("-" + n)
            case .float(let f):
                p += 1
                return .float("-" + f)
            default:
                return .negate(try nested { try $0.unary() })
            }
        }
        return try primary()
    }

    mutating func primary() throws -> Expression {
        let t = peek
        switch t.kind {
        case .integer(let n):
            p += 1
            return .integer(n)
        case .float(let f):
            p += 1
            return .float(f)
        case .string(let s):
            p += 1
            return .string(s)
        case .variable(let v):
            p += 1
            return .variable(v)
        case .symbol("*"):
            p += 1
            return .star
        case .symbol("("):
            p += 1
            return try nested { parser in
                let e = try parser.expression()
                if parser.accept(symbol: ",") {
                    // A tuple: CALL SNIPPETS(('doc one', 'doc two'), ...).
                    var items = [e]
                    repeat { items.append(try parser.expression()) } while parser.accept(symbol: ",")
                    try parser.expect(symbol: ")")
                    return .function("tuple", items)
                }
                try parser.expect(symbol: ")")
                return e
            }
        case .word(let w) where w.uppercased() == "NULL":
            p += 1
            return .null
        case .word(let w) where Parser.reserved.contains(w.uppercased()) && !(w.uppercased() == "IN" && tokens[p + 1].kind == .symbol("(")):
            throw unexpected()
        case .word, .quoted:
            let first = try name()
            if accept(symbol: "(") { return try nested { try $0.functionCall(first.lowercased()) } }
            // Names are Sphinx's: without case up to the first dot (`ID`, `JS.Host` read as
            // `id`, `js.Host`), js keys as written.
            var path = first.lowercased()
            while accept(symbol: ".") {
                switch peek.kind {
                case .word(let w), .quoted(let w):
                    p += 1
                    path += "." + w
                case .integer(let n):
                    p += 1
                    path += "." + n
                default:
                    throw unexpected(expecting: "IDENT")
                }
            }
            return .column(path)
        default:
            throw unexpected()
        }
    }

    mutating func functionCall(_ n: String) throws -> Expression {
        if accept(symbol: ")") { return .function(n, []) }
        if n == "count" && accept("DISTINCT") {
            let e = try expression()
            try expect(symbol: ")")
            return .function("count_distinct", [e])
        }
        var args: [Expression] = []
        repeat { args.append(try expression()) } while accept(symbol: ",")
        try expect(symbol: ")")
        return .function(n, args)
    }
}
