/// A SphinxQL token with its character offset in the statement text.
public struct Token: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// A bare word: keyword or name (compare keywords case-insensitively).
        case word(String)
        /// A backtick-quoted name.
        case quoted(String)
        case string(String)
        case integer(String)
        case float(String)
        /// `@@name` or `@name` (session variables, Sphinx's `@weight`-style names).
        case variable(String)
        case symbol(String)
        case end
    }

    public var kind: Kind
    public var offset: Int

    /// How an error message names this token, like Sphinx's bison messages.
    var described: String {
        switch kind {
        case .word(let w): return Lexer.keywords.contains(w.uppercased()) ? w.uppercased() : "IDENT"
        case .quoted: return "IDENT"
        case .string: return "QUOTED_STRING"
        case .integer: return "CONST_INT"
        case .float: return "CONST_FLOAT"
        case .variable: return "SYSVAR"
        case .symbol(let s): return "'\(s)'"
        case .end: return "$end"
        }
    }
}

/// Splits SphinxQL text into tokens. String literals take `\` escapes as MySQL and Sphinx do
/// (`\'`, `\\`, `\n`, ...; an unknown escape keeps the character, so `\0` reads as `0`).
public struct Lexer {
    static let keywords: Set<String> = [
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "BETWEEN", "GROUP", "BY", "ORDER", "ASC", "DESC",
        "LIMIT", "OPTION", "AS", "SHOW", "SET", "INSERT", "REPLACE", "INTO", "VALUES", "DELETE", "CALL", "FLUSH",
        "OPTIMIZE", "TRUNCATE", "RTINDEX", "INDEX", "BEGIN", "COMMIT", "ROLLBACK", "START", "TRANSACTION", "LIKE",
        "DESCRIBE", "USE", "WITHIN", "DISTINCT", "NULL", "IS", "TRUE", "FALSE", "GLOBAL", "SESSION", "META",
        "TABLES", "STATUS", "VARIABLES", "WARNINGS", "COLLATION", "CHARACTER", "NAMES", "DIV", "MOD", "FACET",
    ]

    let chars: [Character]
    var i = 0

    public init(_ text: String) { chars = Array(text) }

    public static func tokenize(_ text: String) throws -> [Token] {
        var l = Lexer(text)
        var out: [Token] = []
        while true {
            let t = try l.next()
            out.append(t)
            if t.kind == .end { return out }
        }
    }

    func error(_ message: String, at offset: Int) -> SphinxQLError {
        SphinxQLError(message: message, offset: offset, near: String(chars[min(offset, chars.count)...]))
    }

    mutating func next() throws -> Token {
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace {
                i += 1
            } else if c == "-" && i + 1 < chars.count && chars[i + 1] == "-" {
                while i < chars.count && chars[i] != "\n" { i += 1 }
            } else if c == "/" && i + 1 < chars.count && chars[i + 1] == "*" {
                let start = i
                i += 2
                while i + 1 < chars.count && !(chars[i] == "*" && chars[i + 1] == "/") { i += 1 }
                guard i + 1 < chars.count else { throw error("unterminated comment", at: start) }
                i += 2
            } else {
                break
            }
        }
        let start = i
        guard i < chars.count else { return Token(kind: .end, offset: start) }
        let c = chars[i]
        if c.isLetter || c == "_" {
            var w = ""
            while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" {
                w.append(chars[i])
                i += 1
            }
            return Token(kind: .word(w), offset: start)
        }
        if c.isNumber || (c == "." && i + 1 < chars.count && chars[i + 1].isNumber) {
            var n = ""
            var isFloat = false
            while i < chars.count, chars[i].isNumber || chars[i] == "." || ((chars[i] == "e" || chars[i] == "E") && isFloat) {
                if chars[i] == "." {
                    if isFloat { break }
                    isFloat = true
                }
                n.append(chars[i])
                i += 1
            }
            return Token(kind: isFloat ? .float(n) : .integer(n), offset: start)
        }
        switch c {
        case "'", "\"":
            i += 1
            var s = ""
            while i < chars.count, chars[i] != c {
                if chars[i] == "\\", i + 1 < chars.count {
                    let e = chars[i + 1]
                    switch e {
                    case "n": s.append("\n")
                    case "t": s.append("\t")
                    case "r": s.append("\r")
                    default: s.append(e)
                    }
                    i += 2
                    continue
                }
                s.append(chars[i])
                i += 1
            }
            guard i < chars.count else { throw error("unterminated string", at: start) }
            i += 1
            return Token(kind: .string(s), offset: start)
        case "`":
            i += 1
            var s = ""
            while i < chars.count, chars[i] != "`" {
                s.append(chars[i])
                i += 1
            }
            guard i < chars.count else { throw error("unterminated quoted name", at: start) }
            i += 1
            return Token(kind: .quoted(s), offset: start)
        case "@":
            i += 1
            var name = "@"
            if i < chars.count, chars[i] == "@" {
                name += "@"
                i += 1
            }
            while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" || chars[i] == "." {
                name.append(chars[i])
                i += 1
            }
            return Token(kind: .variable(name), offset: start)
        default:
            break
        }
        for two in ["<=", ">=", "!=", "<>", "=="] where i + 1 < chars.count && String(chars[i...(i + 1)]) == two {
            i += 2
            return Token(kind: .symbol(two == "<>" ? "!=" : two == "==" ? "=" : two), offset: start)
        }
        if "(),;.*=<>+-/%".contains(c) {
            i += 1
            return Token(kind: .symbol(String(c)), offset: start)
        }
        throw error("unexpected character '\(c)'", at: start)
    }
}

/// A statement that does not parse: Sphinx's wording, the offset and the text from there.
public struct SphinxQLError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var near: String

    public var description: String { "sphinxql: \(message) near '\(near)'" }
}
