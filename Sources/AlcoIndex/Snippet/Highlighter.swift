/// Finds what a query matched inside a text: its words (exact, prefix, suffix, infix) and
/// grep-mode substrings or regex matches, as byte ranges.
public struct Highlighter: Sendable {
    let exact: Set<String>
    let prefixes: [String]
    let suffixes: [String]
    let infixes: [String]
    let substrings: [SubstringMatcher]
    let regexes: [RegexMatcher]

    public init(_ query: TextQuery) {
        var exact = Set<String>()
        var prefixes: [String] = []
        var suffixes: [String] = []
        var infixes: [String] = []
        var substrings: [SubstringMatcher] = []
        var regexes: [RegexMatcher] = []
        func walk(_ q: TextQuery) {
            switch q {
            case .term(let t, _, let m):
                switch m {
                case .exact: exact.insert(t)
                case .prefix: prefixes.append(t)
                case .suffix: suffixes.append(t)
                case .infix: infixes.append(t)
                }
            case .phrase(let ws, _, _), .quorum(let ws, _, _): exact.formUnion(ws)
            case .and(let qs), .or(let qs): qs.forEach(walk)
            case .not, .all: break
            case .substring(let s, let cs): substrings.append(SubstringMatcher(s, caseSensitive: cs))
            case .regex(let p, let cs): if let r = try? RegexMatcher(p, caseSensitive: cs) { regexes.append(r) }
            }
        }
        walk(query)
        self.exact = exact
        self.prefixes = prefixes
        self.suffixes = suffixes
        self.infixes = infixes
        self.substrings = substrings
        self.regexes = regexes
    }

    /// Merged, ascending byte ranges of matches in `text`.
    public func ranges(in text: String) -> [Range<Int>] {
        var out: [Range<Int>] = []
        let hasTerms = !exact.isEmpty || !prefixes.isEmpty || !suffixes.isEmpty || !infixes.isEmpty
        if hasTerms {
            for (term, range) in Tokenizer.tokenRanges(text) where matches(term) { out.append(range) }
        }
        for s in substrings { out.append(contentsOf: s.occurrences(in: text)) }
        for r in regexes { out.append(contentsOf: r.occurrences(in: text)) }
        return Highlighter.merge(out)
    }

    func matches(_ term: String) -> Bool {
        if exact.contains(term) { return true }
        if prefixes.contains(where: { term.hasPrefix($0) }) { return true }
        if suffixes.contains(where: { term.hasSuffix($0) }) { return true }
        return infixes.contains { term.contains($0) }
    }

    static func merge(_ ranges: [Range<Int>]) -> [Range<Int>] {
        let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
        var out: [Range<Int>] = []
        for r in sorted {
            if let last = out.last, r.lowerBound <= last.upperBound {
                out[out.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }
}
