/// Parses Sphinx's extended query syntax into a `TextQuery`.
///
/// Supported: words, `word*` / `*word` / `*word*`, `"phrase"`, `"proximity"~N`, `"quorum"/N`,
/// `a | b` (binds tighter than the implicit AND, as in Sphinx), `-word` / `!word`,
/// parentheses, `@field`, `@(f1,f2)`, `@!field`, `@*`, and `\` escapes.
/// Errors carry the character position, like Sphinx's "syntax error near ...".
public struct QueryParser {
    private let chars: [Character]
    private var i = 0
    private var fields: FieldLimit = .all
    /// Parentheses and negations open around the current position.
    private var depth = 0

    /// The deepest query accepted: parentheses and `-`/`!` negations each nest one level, and
    /// the query's tree is walked recursively when planned, ranked and highlighted. Sphinx
    /// 2.2.11's query parser gives up near 5,000 ("memory exhausted"); 256 is far beyond
    /// any query a person writes and keeps every walk's stack small.
    public static let maxDepth = 256

    private init(_ text: String) { chars = Array(text) }

    public static func parse(_ text: String) throws -> TextQuery {
        if text.hasPrefix(GrepSyntax.marker) { return try GrepSyntax.parse(text) }
        var p = QueryParser(text)
        let q = try p.parseAnd(closing: false)
        p.skipSpace()
        if p.i < p.chars.count { throw p.error("unexpected '\(p.chars[p.i])'") }
        return q
    }

    private func error(_ message: String) -> AlcoError {
        .query(message: message, position: i)
    }

    private mutating func enter() throws {
        guard depth < QueryParser.maxDepth else {
            throw error("memory exhausted: the query nests deeper than \(QueryParser.maxDepth) levels of parentheses and negations")
        }
        depth += 1
    }

    private mutating func skipSpace() {
        while i < chars.count, chars[i].isWhitespace { i += 1 }
    }

    private mutating func parseAnd(closing: Bool) throws -> TextQuery {
        var items: [TextQuery] = []
        let savedFields = fields
        defer { fields = savedFields }
        while true {
            skipSpace()
            guard i < chars.count else { break }
            if chars[i] == ")" {
                if closing { break }
                throw error("unexpected ')'")
            }
            if chars[i] == "@" {
                try parseFieldLimit()
                continue
            }
            let before = i
            if let q = try parseOr() {
                items.append(q)
            } else if i == before {
                // Nothing takes this character (a `|` with no left operand): an error, not a
                // loop that never moves on (`q=|timeout` held a server thread forever).
                throw error("unexpected '\(chars[i])'")
            }
        }
        if items.isEmpty { return .all }
        return items.count == 1 ? items[0] : .and(items)
    }

    private mutating func parseFieldLimit() throws {
        i += 1
        guard i < chars.count else { throw error("field name expected after '@'") }
        if chars[i] == "*" {
            i += 1
            fields = .all
            return
        }
        var negate = false
        if chars[i] == "!" {
            negate = true
            i += 1
        }
        var names: [String] = []
        if i < chars.count, chars[i] == "(" {
            i += 1
            while true {
                skipSpace()
                let n = readIdentifier()
                guard !n.isEmpty else { throw error("field name expected") }
                names.append(n)
                skipSpace()
                guard i < chars.count else { throw error("')' expected after field list") }
                if chars[i] == "," { i += 1; continue }
                if chars[i] == ")" { i += 1; break }
                throw error("',' or ')' expected in field list")
            }
        } else {
            let n = readIdentifier()
            guard !n.isEmpty else { throw error("field name expected after '@'") }
            names = [n]
        }
        fields = negate ? .except(names) : .only(names)
    }

    private mutating func readIdentifier() -> String {
        var s = ""
        while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" || chars[i] == "." {
            s.append(chars[i])
            i += 1
        }
        return s
    }

    private mutating func parseOr() throws -> TextQuery? {
        guard var first = try parseUnary() else { return nil }
        var alternatives: [TextQuery] = []
        while true {
            skipSpace()
            guard i < chars.count, chars[i] == "|" else { break }
            i += 1
            skipSpace()
            guard let next = try parseUnary() else { throw error("operand expected after '|'") }
            alternatives.append(next)
        }
        if alternatives.isEmpty { return first }
        if case .or(let xs) = first { first = .or(xs) }
        return .or([first] + alternatives)
    }

    private mutating func parseUnary() throws -> TextQuery? {
        skipSpace()
        guard i < chars.count else { return nil }
        let c = chars[i]
        if (c == "-" || c == "!") && i + 1 < chars.count && !chars[i + 1].isWhitespace {
            try enter()
            defer { depth -= 1 }
            i += 1
            guard let inner = try parseUnary() else { throw error("operand expected after '\(c)'") }
            return .not(inner)
        }
        if c == "(" {
            try enter()
            defer { depth -= 1 }
            i += 1
            let inner = try parseAnd(closing: true)
            guard i < chars.count, chars[i] == ")" else { throw error("')' expected") }
            i += 1
            return inner
        }
        if c == "\"" { return try parsePhrase() }
        if c == ")" || c == "|" || c == "@" { return nil }
        return try parseWord()
    }

    private static let specials: Set<Character> = ["(", ")", "|", "\"", "@", "~", "/"]

    private mutating func parseWord() throws -> TextQuery? {
        let start = i
        var raw = ""
        var leadingStar = false
        var trailingStar = false
        while i < chars.count {
            let c = chars[i]
            if c == "\\" {
                i += 1
                if i < chars.count {
                    raw.append(chars[i])
                    i += 1
                }
                continue
            }
            if c.isWhitespace || QueryParser.specials.contains(c) { break }
            if c == "*" {
                if raw.isEmpty { leadingStar = true } else { trailingStar = true }
                i += 1
                continue
            }
            raw.append(c)
            i += 1
        }
        if i == start {
            // A lone special character that no rule takes.
            throw error("unexpected '\(chars[i])'")
        }
        let words = Tokenizer.tokens(raw)
        if words.isEmpty { return nil }
        var terms: [TextQuery] = []
        for (k, w) in words.enumerated() {
            let left = leadingStar && k == 0
            let right = trailingStar && k == words.count - 1
            let match: TermMatch = left && right ? .infix : left ? .suffix : right ? .prefix : .exact
            terms.append(.term(w, fields: fields, match: match))
        }
        return terms.count == 1 ? terms[0] : .and(terms)
    }

    private mutating func parsePhrase() throws -> TextQuery? {
        let open = i
        i += 1
        var raw = ""
        while i < chars.count, chars[i] != "\"" {
            if chars[i] == "\\", i + 1 < chars.count {
                raw.append(chars[i + 1])
                i += 2
                continue
            }
            raw.append(chars[i])
            i += 1
        }
        guard i < chars.count else {
            i = open
            throw error("unterminated phrase")
        }
        i += 1
        let words = Tokenizer.tokens(raw)
        var proximity: Int?
        var quorum: Int?
        if i < chars.count, chars[i] == "~" || chars[i] == "/" {
            let op = chars[i]
            i += 1
            var digits = ""
            while i < chars.count, chars[i].isNumber { digits.append(chars[i]); i += 1 }
            guard let n = Int(digits) else { throw error("number expected after '\(op)'") }
            if op == "~" { proximity = n } else { quorum = n }
        }
        if words.isEmpty { return nil }
        if let quorum { return .quorum(words, fields: fields, minimum: max(1, min(quorum, words.count))) }
        if words.count == 1 { return .term(words[0], fields: fields, match: .exact) }
        return .phrase(words, fields: fields, proximity: proximity)
    }
}
