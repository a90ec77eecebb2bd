/// alco's one extension to the MATCH text: grep's modes, so a substring or regular-expression
/// search can travel through a Sphinx master (which forwards MATCH text to its agents as it
/// is) to alco nodes. `@@substring TEXT`, `@@regex PATTERN`, and `:cs` for case-sensitive
/// (`@@regex:cs ^ERROR`); everything after the one space is the pattern, verbatim. `@@` is
/// an error in Sphinx's syntax (and was in ours), so no query changes meaning.
public enum GrepSyntax {
    public static let marker = "@@"

    static func parse(_ text: String) throws -> TextQuery {
        let body = text.dropFirst(marker.count)
        let head = body.prefix { $0 != " " }
        let pattern = String(body.dropFirst(head.count + 1))
        let mode = head.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let caseSensitive: Bool
        switch mode.count == 2 ? String(mode[1]) : nil {
        case nil: caseSensitive = false
        case "cs"?: caseSensitive = true
        case let other?: throw AlcoError.query(message: "unknown grep option ':\(other)' (only :cs)", position: 2 + mode[0].count)
        }
        guard body.count > head.count, !pattern.isEmpty else {
            throw AlcoError.query(message: "a pattern is expected after '@@\(head) '", position: text.count)
        }
        switch mode[0] {
        case "substring": return .substring(pattern, caseSensitive: caseSensitive)
        case "regex":
            _ = try RegexMatcher(pattern, caseSensitive: caseSensitive)
            return .regex(pattern, caseSensitive: caseSensitive)
        default:
            throw AlcoError.query(message: "'@@' takes substring or regex, not '\(mode[0])'", position: 2)
        }
    }

    static func text(mode: String, pattern: String, caseSensitive: Bool) -> String {
        marker + mode + (caseSensitive ? ":cs" : "") + " " + pattern
    }
}

extension TextQuery {
    /// The MATCH text that parses back to this query (`QueryParser.parse(q.matchText()) == q`
    /// for every query the parser produces): what a node sends a Sphinx front on a person's
    /// behalf. Grep modes use alco's `@@` form and must be the whole query.
    public func matchText() throws -> String {
        switch self {
        case .substring(let text, let cs): return GrepSyntax.text(mode: "substring", pattern: text, caseSensitive: cs)
        case .regex(let pattern, let cs): return GrepSyntax.text(mode: "regex", pattern: pattern, caseSensitive: cs)
        default:
            var writer = MatchTextWriter()
            try writer.write(self, top: true)
            return writer.out
        }
    }
}

/// Writes Sphinx's extended syntax: nested groups in parentheses, field limits as
/// `(@field …)` around what they limit, words and phrases escaped.
private struct MatchTextWriter {
    var out = ""
    var depth = 0

    mutating func write(_ q: TextQuery, top: Bool = false) throws {
        depth += 1
        defer { depth -= 1 }
        guard depth <= QueryParser.maxDepth else {
            throw AlcoError.query(message: "the query nests deeper than \(QueryParser.maxDepth) levels", position: 0)
        }
        switch q {
        case .all:
            if !top { out += "()" }
        case .term(let word, let fields, let match):
            limited(fields) { w in
                if match == .suffix || match == .infix { w.out += "*" }
                w.out += MatchTextWriter.escaped(word)
                if match == .prefix || match == .infix { w.out += "*" }
            }
        case .phrase(let words, let fields, let proximity):
            limited(fields) { w in
                w.quoted(words)
                if let proximity { w.out += "~\(proximity)" }
            }
        case .quorum(let words, let fields, let minimum):
            limited(fields) { w in
                w.quoted(words)
                w.out += "/\(minimum)"
            }
        case .and(let items):
            if !top { out += "(" }
            for (k, item) in items.enumerated() {
                if k > 0 { out += " " }
                try writeOperand(item)
            }
            if !top { out += ")" }
        case .or(let items):
            if !top { out += "(" }
            for (k, item) in items.enumerated() {
                if k > 0 { out += " | " }
                try writeOperand(item)
            }
            if !top { out += ")" }
        case .not(let inner):
            out += "-"
            try writeOperand(inner)
        case .substring, .regex:
            throw AlcoError.query(message: "a substring or regex search must be the whole query, not part of one", position: 0)
        }
    }

    /// An operand of AND, OR or NOT: groups keep their parentheses.
    private mutating func writeOperand(_ q: TextQuery) throws {
        try write(q, top: false)
    }

    private mutating func limited(_ fields: FieldLimit, _ body: (inout MatchTextWriter) -> Void) {
        switch fields {
        case .all: body(&self)
        case .only(let names), .except(let names):
            out += "(@"
            if case .except = fields { out += "!" }
            out += names.count == 1 ? names[0] : "(" + names.joined(separator: ",") + ")"
            out += " "
            body(&self)
            out += ")"
        }
    }

    private mutating func quoted(_ words: [String]) {
        out += "\""
        out += words.map { MatchTextWriter.escaped($0) }.joined(separator: " ")
        out += "\""
    }

    /// Backslashes before every character the parser would read as an operator.
    private static let special: Set<Character> = ["(", ")", "|", "\"", "@", "~", "/", "\\", "*", "-", "!"]

    static func escaped(_ word: String) -> String {
        var s = ""
        for c in word {
            if special.contains(c) || c.isWhitespace { s.append("\\") }
            s.append(c)
        }
        return s
    }
}
