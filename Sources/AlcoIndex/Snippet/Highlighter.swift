#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds what a query matched inside a text: its words (exact, prefix, suffix, infix) and
/// grep-mode substrings or regex matches, as byte ranges.
public struct Highlighter: Sendable {
    private let words: WordSet
    let substrings: [SubstringMatcher]
    let regexes: [RegexMatcher]

    public init(_ query: TextQuery) {
        var words = WordSet()
        var substrings: [SubstringMatcher] = []
        var regexes: [RegexMatcher] = []
        func walk(_ q: TextQuery) {
            switch q {
            case .term(let t, _, let m): words.add(t, m)
            case .phrase(let ws, _, _), .quorum(let ws, _, _): for w in ws { words.add(w, .exact) }
            case .and(let qs), .or(let qs): qs.forEach(walk)
            case .not, .all: break
            case .substring(let s, let cs): substrings.append(SubstringMatcher(s, caseSensitive: cs))
            case .regex(let p, let cs): if let r = try? RegexMatcher(p, caseSensitive: cs) { regexes.append(r) }
            }
        }
        walk(query)
        self.words = words
        self.substrings = substrings
        self.regexes = regexes
    }

    /// Merged, ascending byte ranges of matches in `text`.
    public func ranges(in text: String) -> [Range<Int>] {
        var out: [Range<Int>] = []
        if !words.isEmpty {
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
    private var exact: [[UInt8]] = []
    private var prefixes: [[UInt8]] = []
    private var suffixes: [[UInt8]] = []
    private var infixes: [[UInt8]] = []

    var isEmpty: Bool { exact.isEmpty && prefixes.isEmpty && suffixes.isEmpty && infixes.isEmpty }

    mutating func add(_ word: String, _ match: TermMatch) {
        let bytes = Array(word.utf8)
        switch match {
        case .exact: if !exact.contains(bytes) { exact.append(bytes) }
        case .prefix: prefixes.append(bytes)
        case .suffix: suffixes.append(bytes)
        case .infix: infixes.append(bytes)
        }
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
