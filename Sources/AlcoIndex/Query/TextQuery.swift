/// Which full-text fields a term may match: every field, or those named by `@field` /
/// `@(f1,f2)` (or all but those, with `@!field`).
public enum FieldLimit: Equatable, Sendable, Hashable {
    case all
    case only([String])
    case except([String])

    func allows(_ field: String) -> Bool {
        switch self {
        case .all: return true
        case .only(let names): return names.contains(field)
        case .except(let names): return !names.contains(field)
        }
    }
}

/// How a term matches words in the dictionary.
public enum TermMatch: Equatable, Sendable, Hashable {
    case exact
    case prefix  // word*
    case suffix  // *word
    case infix  // *word*
}

/// The full-text part of a query, as Sphinx's extended syntax and grep's modes express it.
public indirect enum TextQuery: Equatable, Sendable {
    /// A folded word.
    case term(String, fields: FieldLimit, match: TermMatch)
    /// Folded words in order; with `proximity`, all words within that many positions.
    case phrase([String], fields: FieldLimit, proximity: Int?)
    /// At least `minimum` of the words (`"a b c"/2`).
    case quorum([String], fields: FieldLimit, minimum: Int)
    case and([TextQuery])
    case or([TextQuery])
    case not(TextQuery)
    /// grep -F: the text occurs in the logline (case-sensitive or not).
    case substring(String, caseSensitive: Bool)
    /// grep -E: a POSIX extended regular expression matches the logline.
    case regex(String, caseSensitive: Bool)
    /// Every document.
    case all

    /// Throws what planning would, before any segment is planned: a bad regular expression
    /// is an error even when no segment gets that far.
    public func validate() throws {
        switch self {
        case .regex(let pattern, let caseSensitive): _ = try RegexMatcher(pattern, caseSensitive: caseSensitive)
        case .and(let qs), .or(let qs): try qs.forEach { try $0.validate() }
        case .not(let q): try q.validate()
        case .term, .phrase, .quorum, .substring, .all: return
        }
    }

    /// Words that count towards ranking and highlighting.
    public var positiveTerms: [(term: String, match: TermMatch)] {
        switch self {
        case .term(let t, _, let m): return [(t, m)]
        case .phrase(let ws, _, _), .quorum(let ws, _, _): return ws.map { ($0, .exact) }
        case .and(let qs), .or(let qs): return qs.flatMap { $0.positiveTerms }
        case .not, .substring, .regex, .all: return []
        }
    }
}
