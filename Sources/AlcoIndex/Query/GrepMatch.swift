import CRE2

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

/// grep -E: a POSIX extended regular expression, run by RE2 so a user's pattern costs time
/// linear in the text and bounded memory whatever it is (glibc's backtracking regexec can run
/// for hours on `(a*)*b`, and crashes on `(|)(\1\1)*`). grep -E's syntax and leftmost-longest
/// matches, with GNU grep's `\w \s \d \b` classes; no backreferences (`\1`), which no
/// linear-time engine can offer, and no `\<` `\>` (use `\b`).
public final class RegexMatcher: @unchecked Sendable {
    public let pattern: String
    private let compiled: OpaquePointer

    /// Longest pattern accepted, in bytes.
    public static let maxPatternBytes = 16 << 10
    /// Memory RE2 may use for one compiled pattern (and its matching caches).
    static let maxProgramBytes: Int64 = 8 << 20

    public init(_ pattern: String, caseSensitive: Bool) throws {
        let bytes = Array(pattern.utf8)
        guard bytes.count <= RegexMatcher.maxPatternBytes else {
            throw AlcoError.query(
                message: "regular expression too long (\(bytes.count) bytes; at most \(RegexMatcher.maxPatternBytes))",
                position: 0)
        }
        var error = [CChar](repeating: 0, count: 256)
        let re = bytes.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { c in
                alco_re2_compile(c.baseAddress, c.count, caseSensitive ? 1 : 0, RegexMatcher.maxProgramBytes, &error, error.count)
            }
        }
        guard let re else {
            let why = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw AlcoError.query(message: "invalid regular expression: \(RegexMatcher.explain(why))", position: 0)
        }
        self.pattern = pattern
        self.compiled = re
    }

    /// RE2's reason, with what to do about the two a grep user meets.
    static func explain(_ why: String) -> String {
        let escape = "invalid escape sequence: \\"
        if why.hasPrefix(escape), let d = why.dropFirst(escape.count).first, ("1"..."9").contains(d) {
            return why + " (backreferences are not supported: patterns run in linear time)"
        }
        if why.contains("pattern too large") { return why + " (simplify it: fewer repetitions or alternatives)" }
        return why
    }

    deinit { alco_re2_free(compiled) }

    public func matches(_ line: String) -> Bool {
        var line = line
        return line.withUTF8 { b in
            b.withMemoryRebound(to: CChar.self) { alco_re2_matches(compiled, $0.baseAddress, $0.count) == 1 }
        }
    }

    public func matches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let c = bytes.bindMemory(to: CChar.self)
        return alco_re2_matches(compiled, c.baseAddress, c.count) == 1
    }

    /// Byte ranges of successive matches (for highlighting).
    public func occurrences(in line: String) -> [Range<Int>] {
        var line = line
        return line.withUTF8 { b in
            b.withMemoryRebound(to: CChar.self) { c in
                var out: [Range<Int>] = []
                var from = 0
                var start = 0
                var end = 0
                while from <= c.count, alco_re2_find(compiled, c.baseAddress, c.count, from, &start, &end) == 1 {
                    if end > start { out.append(start..<end) }
                    from = max(end, start + 1)
                }
                return out
            }
        }
    }

    /// A literal that every match must contain (case-folded), used to find candidate lines in
    /// the term dictionary before running the regex; nil when the pattern has none.
    public var requiredLiteral: String? { RegexLiterals.longestRequired(pattern) }
}

/// Extracts literal runs that any match of a simple ERE must contain.
enum RegexLiterals {
    /// True when every string the pattern can match is made of word characters (ASCII
    /// letters, digits, `_`, `-`, `.`): then a match in a line lies inside one of its words,
    /// and matching the dictionary's words finds the lines. Conservative: anchors, `.`,
    /// negated or named classes and escapes other than `\.` say no.
    static func matchesWithinOneWord(_ pattern: String) -> Bool {
        let cs = Array(pattern.utf8)
        func isWordByte(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2D || c == 0x2E
        }
        var i = 0
        while i < cs.count {
            let c = cs[i]
            switch c {
            case UInt8(ascii: "\\"):
                guard i + 1 < cs.count, cs[i + 1] == UInt8(ascii: ".") else { return false }
                i += 2
                continue
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "|"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"):
                break
            case UInt8(ascii: "{"):
                while i < cs.count && cs[i] != UInt8(ascii: "}") {
                    let d = cs[i]
                    guard d == UInt8(ascii: "{") || d == UInt8(ascii: ",") || (d >= 0x30 && d <= 0x39) else { return false }
                    i += 1
                }
                guard i < cs.count else { return false }
            case UInt8(ascii: "["):
                i += 1
                guard i < cs.count, cs[i] != UInt8(ascii: "^"), cs[i] != UInt8(ascii: "]") else { return false }
                while i < cs.count && cs[i] != UInt8(ascii: "]") {
                    let lo = cs[i]
                    guard isWordByte(lo) else { return false }
                    if i + 2 < cs.count && cs[i + 1] == UInt8(ascii: "-") && cs[i + 2] != UInt8(ascii: "]") {
                        let hi = cs[i + 2]
                        let sameClass = [
                            (UInt8(ascii: "0"), UInt8(ascii: "9")), (UInt8(ascii: "a"), UInt8(ascii: "z")),
                            (UInt8(ascii: "A"), UInt8(ascii: "Z")),
                        ].contains { lo >= $0.0 && hi <= $0.1 && lo <= hi }
                        guard sameClass else { return false }
                        i += 3
                    } else {
                        i += 1
                    }
                }
                guard i < cs.count else { return false }
            default:
                guard isWordByte(c) && c != UInt8(ascii: ".") else { return false }
            }
            i += 1
        }
        return true
    }

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
