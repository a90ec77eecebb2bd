#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// grep -F: does a line contain the needle (optionally ignoring case as the tokenizer folds)?
public struct SubstringMatcher: Sendable {
    public let needle: String
    public let caseSensitive: Bool
    private let pattern: [UInt8]

    public init(_ needle: String, caseSensitive: Bool) {
        self.needle = needle
        self.caseSensitive = caseSensitive
        pattern = Array((caseSensitive ? needle : Tokenizer.fold(needle)).utf8)
    }

    public func matches(_ line: String) -> Bool {
        if pattern.isEmpty { return true }
        let hay = caseSensitive ? line : Tokenizer.fold(line)
        var h = hay
        return h.withUTF8 { buf in
            pattern.withUnsafeBytes { p in
                findBytes(buf.baseAddress, buf.count, p.baseAddress, p.count)
            }
        }
    }

    /// Byte ranges of every non-overlapping occurrence in `line` (for highlighting).
    public func occurrences(in line: String) -> [Range<Int>] {
        guard !pattern.isEmpty else { return [] }
        let hay = Array((caseSensitive ? line : Tokenizer.fold(line)).utf8)
        var out: [Range<Int>] = []
        var i = 0
        while i + pattern.count <= hay.count {
            if hay[i] == pattern[0] && Array(hay[i..<(i + pattern.count)]) == pattern {
                out.append(i..<(i + pattern.count))
                i += pattern.count
            } else {
                i += 1
            }
        }
        return out
    }
}

/// grep -E: a POSIX extended regular expression (glibc's regex, as grep's -E uses).
public final class RegexMatcher: @unchecked Sendable {
    public let pattern: String
    private let compiled: UnsafeMutablePointer<regex_t>
    private let highlight: UnsafeMutablePointer<regex_t>

    public init(_ pattern: String, caseSensitive: Bool) throws {
        // Compiled into locals first: throwing before every property is set means deinit
        // does not run, so it never frees a regex that was not compiled.
        let flags = REG_EXTENDED | (caseSensitive ? 0 : REG_ICASE)
        let compiled = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
        let rc = regcomp(compiled, pattern, flags | REG_NOSUB)
        if rc != 0 {
            var buf = [CChar](repeating: 0, count: 256)
            regerror(rc, compiled, &buf, buf.count)
            compiled.deallocate()
            let message = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw AlcoError.query(message: "invalid regular expression: \(message)", position: 0)
        }
        let highlight = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
        guard regcomp(highlight, pattern, flags) == 0 else {
            regfree(compiled)
            compiled.deallocate()
            highlight.deallocate()
            throw AlcoError.query(message: "invalid regular expression", position: 0)
        }
        self.pattern = pattern
        self.compiled = compiled
        self.highlight = highlight
    }

    deinit {
        regfree(compiled)
        regfree(highlight)
        compiled.deallocate()
        highlight.deallocate()
    }

    public func matches(_ line: String) -> Bool {
        regexec(compiled, line, 0, nil, 0) == 0
    }

    /// Byte ranges of successive matches (for highlighting).
    public func occurrences(in line: String) -> [Range<Int>] {
        var out: [Range<Int>] = []
        let bytes = Array(line.utf8CString)
        var offset = 0
        var m = regmatch_t()
        while offset < bytes.count - 1 {
            let rc = bytes.withUnsafeBufferPointer { b in
                regexec(highlight, b.baseAddress! + offset, 1, &m, offset > 0 ? REG_NOTBOL : 0)
            }
            guard rc == 0 else { break }
            let s = offset + Int(m.rm_so)
            let e = offset + Int(m.rm_eo)
            if e > s { out.append(s..<e) }
            offset = max(e, s + 1)
        }
        return out
    }

    /// A literal that every match must contain (case-folded), used to find candidate lines in
    /// the term dictionary before running the regex; nil when the pattern has none.
    public var requiredLiteral: String? { RegexLiterals.longestRequired(pattern) }
}

/// Extracts literal runs that any match of a simple ERE must contain.
enum RegexLiterals {
    static func longestRequired(_ pattern: String) -> String? {
        let cs = Array(pattern)
        var depth = 0
        for c in cs {
            if c == "(" { depth += 1 }
            if c == ")" { depth -= 1 }
            if c == "|" && depth == 0 { return nil }  // alternatives: no single required literal
        }
        var runs: [String] = []
        var current = ""
        var i = 0
        func endRun() {
            if !current.isEmpty { runs.append(current) }
            current = ""
        }
        var groupDepth = 0
        while i < cs.count {
            let c = cs[i]
            let next: Character? = i + 1 < cs.count ? cs[i + 1] : nil
            let optional = next == "?" || next == "*" || next == "{"
            switch c {
            case "\\":
                guard let n = next else { endRun(); i += 1; continue }
                let after: Character? = i + 2 < cs.count ? cs[i + 2] : nil
                let lit = "\\.^$*+?()[]{}|/".contains(n)
                if lit && groupDepth == 0 && !(after == "?" || after == "*" || after == "{") {
                    current.append(n)
                } else {
                    endRun()
                }
                i += 2
                continue
            case "(":
                groupDepth += 1
                endRun()
            case ")":
                groupDepth -= 1
                endRun()
                if next == "?" || next == "*" || next == "{" { i += 1 }
            case "[":
                endRun()
                i += 1
                if i < cs.count, cs[i] == "]" { i += 1 }
                while i < cs.count, cs[i] != "]" { i += 1 }
            case ".", "^", "$", "|", "+", "?", "*", "{", "}":
                endRun()
                if c == "{" { while i < cs.count, cs[i] != "}" { i += 1 } }
            default:
                if groupDepth > 0 || optional {
                    endRun()
                } else {
                    current.append(c)
                }
            }
            i += 1
        }
        endRun()
        return runs.max { $0.count < $1.count }.flatMap { $0.count >= 2 ? $0 : nil }
    }
}
