#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds what a query matched inside a text: its words (exact, prefix, suffix, infix) and
/// grep-mode substrings or regex matches, as byte ranges.
public struct Highlighter: Sendable {
    let exact: Set<String>
    let prefixes: [String]
    let suffixes: [String]
    let infixes: [String]
    let substrings: [SubstringMatcher]
    let regexes: [RegexMatcher]
    private let words: WordSet

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
        words = WordSet(exact: exact, prefixes: prefixes, suffixes: suffixes, infixes: infixes)
    }

    /// Merged, ascending byte ranges of matches in `text`.
    public func ranges(in text: String) -> [Range<Int>] {
        var out: [Range<Int>] = []
        let hasTerms = !exact.isEmpty || !prefixes.isEmpty || !suffixes.isEmpty || !infixes.isEmpty
        if hasTerms {
            // Words compared as bytes where they lie: a snippet page tokenizes every line of
            // it, and a String per word was most of a snippet's cost.
            var text = text
            text.withUTF8 { buf in
                Tokenizer.forEachToken(UnsafeRawBufferPointer(buf)) { token, _, range in
                    if words.matches(token) { out.append(range) }
                }
            }
        }
        for s in substrings { out.append(contentsOf: s.occurrences(in: text)) }
        for r in regexes { out.append(contentsOf: r.occurrences(in: text)) }
        return Highlighter.merge(out)
    }

    func matches(_ term: String) -> Bool {
        Array(term.utf8).withUnsafeBytes { words.matches($0) }
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

/// A highlighter's words as bytes, matched against folded tokens without building strings.
private struct WordSet: Sendable {
    let exact: [[UInt8]]
    let prefixes: [[UInt8]]
    let suffixes: [[UInt8]]
    let infixes: [[UInt8]]

    init(exact: Set<String>, prefixes: [String], suffixes: [String], infixes: [String]) {
        self.exact = exact.map { Array($0.utf8) }
        self.prefixes = prefixes.map { Array($0.utf8) }
        self.suffixes = suffixes.map { Array($0.utf8) }
        self.infixes = infixes.map { Array($0.utf8) }
    }

    func matches(_ token: UnsafeRawBufferPointer) -> Bool {
        for w in exact where w.count == token.count && WordSet.equal(w, token, at: 0) { return true }
        for w in prefixes where w.count <= token.count && WordSet.equal(w, token, at: 0) { return true }
        for w in suffixes where w.count <= token.count && WordSet.equal(w, token, at: token.count - w.count) { return true }
        for w in infixes where w.count <= token.count {
            for at in 0...(token.count - w.count) where WordSet.equal(w, token, at: at) { return true }
        }
        return false
    }

    @inline(__always)
    private static func equal(_ word: [UInt8], _ token: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        word.isEmpty || word.withUnsafeBytes { memcmp($0.baseAddress!, token.baseAddress! + offset, word.count) == 0 }
    }
}
