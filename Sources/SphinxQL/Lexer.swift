/// A SphinxQL token with its byte offset in the statement's UTF-8 text.
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
///
/// Works on UTF-8 bytes: a collector's INSERT of 1000 lines is half a megabyte, and walking it
/// as Characters cost more than indexing the lines. Bytes of 0x80 and up count as letters, so
/// non-ASCII names and words pass through whole.
public struct Lexer {
    static let keywords: Set<String> = [
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "BETWEEN", "GROUP", "BY", "ORDER", "ASC", "DESC",
        "LIMIT", "OPTION", "AS", "SHOW", "SET", "INSERT", "REPLACE", "INTO", "VALUES", "DELETE", "CALL", "FLUSH",
        "OPTIMIZE", "TRUNCATE", "RTINDEX", "INDEX", "BEGIN", "COMMIT", "ROLLBACK", "START", "TRANSACTION", "LIKE",
        "DESCRIBE", "USE", "WITHIN", "DISTINCT", "NULL", "IS", "TRUE", "FALSE", "GLOBAL", "SESSION", "META",
        "TABLES", "STATUS", "VARIABLES", "WARNINGS", "COLLATION", "CHARACTER", "NAMES", "DIV", "MOD", "FACET",
        "ALTER", "ATTACH", "TABLE", "ADD", "DROP", "COLUMN", "RECONFIGURE", "TO", "WITH",
    ]

    let bytes: [UInt8]
    var i = 0

    public init(_ text: String) { bytes = Array(text.utf8) }

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
        SphinxQLError(message: message, offset: offset, near: Lexer.text(bytes, from: offset))
    }

    /// The text from a byte offset on, for "near '...'": at most `nearLimit` bytes of it (a
    /// statement may be megabytes), cut before a UTF-8 continuation byte.
    static func text(_ bytes: [UInt8], from offset: Int) -> String {
        let start = min(max(0, offset), bytes.count)
        var end = min(bytes.count, start + nearLimit)
        while end < bytes.count, end > start, bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// How much of a statement an error quotes.
    static let nearLimit = 512

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    private static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A || b >= 0x80 }
    private static func isWordByte(_ b: UInt8) -> Bool { isLetter(b) || isDigit(b) || b == UInt8(ascii: "_") }

    /// The first index from `start` holding `quote` or a backslash (`raw.count` when none),
    /// eight bytes per step: a bulk INSERT is mostly the insides of string literals.
    static func quoteOrBackslash(_ raw: UnsafeRawBufferPointer, quote: UInt8, from start: Int) -> Int {
        var k = start
        let n = raw.count
        guard let base = raw.baseAddress else { return n }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let q = ones &* UInt64(quote)
        let b = ones &* 0x5C
        while k + 8 <= n {
            let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: k, as: UInt64.self))
            let x = w ^ q
            let y = w ^ b
            // A zero byte in x or y is a hit; the lowest flagged byte is always a real one.
            let hits = (((x &- ones) & ~x) | ((y &- ones) & ~y)) & highs
            if hits != 0 { return k + hits.trailingZeroBitCount >> 3 }
            k += 8
        }
        while k < n {
            let d = base.load(fromByteOffset: k, as: UInt8.self)
            if d == quote || d == 0x5C { return k }
            k += 1
        }
        return n
    }

    private func peek(_ k: Int = 0) -> UInt8? { i + k < bytes.count ? bytes[i + k] : nil }

    private func string(_ from: Int, _ to: Int) -> String { String(decoding: bytes[from..<to], as: UTF8.self) }

    mutating func next() throws -> Token {
        while let c = peek() {
            if Lexer.isSpace(c) {
                i += 1
            } else if c == UInt8(ascii: "-"), peek(1) == UInt8(ascii: "-") {
                while let d = peek(), d != UInt8(ascii: "\n") { i += 1 }
            } else if c == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "*") {
                let start = i
                i += 2
                while i + 1 < bytes.count && !(bytes[i] == UInt8(ascii: "*") && bytes[i + 1] == UInt8(ascii: "/")) { i += 1 }
                guard i + 1 < bytes.count else { throw error("unterminated comment", at: start) }
                i += 2
            } else {
                break
            }
        }
        let start = i
        guard let c = peek() else { return Token(kind: .end, offset: start) }
        if Lexer.isLetter(c) || c == UInt8(ascii: "_") {
            while let d = peek(), Lexer.isWordByte(d) { i += 1 }
            return Token(kind: .word(string(start, i)), offset: start)
        }
        if Lexer.isDigit(c) || (c == UInt8(ascii: ".") && peek(1).map(Lexer.isDigit) == true) {
            var isFloat = false
            while let d = peek() {
                if d == UInt8(ascii: ".") {
                    if isFloat { break }
                    isFloat = true
                } else if !(Lexer.isDigit(d) || ((d | 0x20) == UInt8(ascii: "e") && isFloat)) {
                    break
                }
                i += 1
            }
            let n = string(start, i)
            return Token(kind: isFloat ? .float(n) : .integer(n), offset: start)
        }
        switch c {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            i += 1
            var runStart = i
            var unescaped: [UInt8]?  // only built when the literal has escapes
            let closed = bytes.withUnsafeBytes { raw -> Bool in
                while true {
                    let k = Lexer.quoteOrBackslash(raw, quote: c, from: i)
                    // A backslash as the last byte escapes nothing: unterminated, as before.
                    guard k < raw.count, raw[k] == c || k + 1 < raw.count else {
                        i = raw.count
                        return false
                    }
                    i = k
                    if raw[k] == c { return true }
                    if unescaped == nil { unescaped = [] }
                    unescaped!.append(contentsOf: raw[runStart..<k])
                    switch raw[k + 1] {
                    case UInt8(ascii: "n"): unescaped!.append(0x0A)
                    case UInt8(ascii: "t"): unescaped!.append(0x09)
                    case UInt8(ascii: "r"): unescaped!.append(0x0D)
                    case let e: unescaped!.append(e)
                    }
                    i = k + 2
                    runStart = i
                }
            }
            guard closed else { throw error("unterminated string", at: start) }
            let value: String
            if var u = unescaped {
                u.append(contentsOf: bytes[runStart..<i])
                value = String(decoding: u, as: UTF8.self)
            } else {
                value = string(runStart, i)
            }
            i += 1
            return Token(kind: .string(value), offset: start)
        case UInt8(ascii: "`"):
            i += 1
            while let d = peek(), d != UInt8(ascii: "`") { i += 1 }
            guard i < bytes.count else { throw error("unterminated quoted name", at: start) }
            i += 1
            return Token(kind: .quoted(string(start + 1, i - 1)), offset: start)
        case UInt8(ascii: "@"):
            i += 1
            if peek() == UInt8(ascii: "@") { i += 1 }
            while let d = peek(), Lexer.isWordByte(d) || d == UInt8(ascii: ".") { i += 1 }
            return Token(kind: .variable(string(start, i)), offset: start)
        default:
            break
        }
        if let d = peek(1) {
            let pair = (c, d)
            let two: String?
            switch pair {
            case (UInt8(ascii: "<"), UInt8(ascii: "=")): two = "<="
            case (UInt8(ascii: ">"), UInt8(ascii: "=")): two = ">="
            case (UInt8(ascii: "!"), UInt8(ascii: "=")), (UInt8(ascii: "<"), UInt8(ascii: ">")): two = "!="
            case (UInt8(ascii: "="), UInt8(ascii: "=")): two = "="
            default: two = nil
            }
            if let two {
                i += 2
                return Token(kind: .symbol(two), offset: start)
            }
        }
        if Array("(),;.*=<>+-/%".utf8).contains(c) {
            i += 1
            return Token(kind: .symbol(String(UnicodeScalar(c))), offset: start)
        }
        throw error("unexpected character '\(string(start, min(start + 1, bytes.count)))'", at: start)
    }
}

/// A statement that does not parse: Sphinx's wording, the offset and the text from there.
public struct SphinxQLError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var near: String

    public var description: String { "sphinxql: \(message) near '\(near)'" }
}
