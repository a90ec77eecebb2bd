import Foundation

/// A log message's words with what varies masked as `<*>`: the shape lines of one template
/// share. Rules, one set for every log (no per-system regexes):
///
/// - Words are split on whitespace; only the first line of a multiline record counts.
/// - A word with a digit is one variable (`blk_-69522958`, `10.0.0.1:5070`, `00:01`), unless
///   it is keys and values (`index:0`, `a=1,b=true`): then each value is, and the keys stay.
/// - A value after `=` is a variable even without digits (`mask=ffffffff`, `user=root`).
/// - Weekday and month names are variables (times written out in the message).
/// - A run of variables and the delimiters between them is one variable, so a value's own
///   punctuation (`10:00:01`) does not change the shape.
public enum TemplateTokens {
    public static let wildcard = "<*>"
    /// Words of a message considered at most (a template is about a line's start).
    public static let maxWords = 128
    /// Longest word kept as it is; a longer one is a variable.
    static let maxWordBytes = 256

    /// The masked words of `message`.
    public static func of(_ message: Substring) -> [String] { of(utf8: message.utf8) }

    /// The masked words of a message given as UTF-8 bytes.
    public static func of<Bytes: Collection<UInt8>>(utf8 message: Bytes) -> [String] {
        if let words = message.withContiguousStorageIfAvailable({ of(UnsafeRawBufferPointer($0)) }) { return words }
        return Array(message).withUnsafeBytes { of($0) }
    }

    /// Words are masked from the message's bytes in place: no copy of a word is made unless it
    /// is kept, and a short kept word is a small (inline) string.
    static func of(_ message: UnsafeRawBufferPointer) -> [String] {
        var end = message.count
        if let base = message.baseAddress, let newline = memchr(base, 0x0a, message.count) { end = UnsafeRawPointer(newline) - base }
        var out: [String] = []
        var start = 0
        var i = 0
        while i <= end {
            if i == end || message[i] == 0x20 || message[i] == 0x09 || message[i] == 0x0d {
                if i > start {
                    if out.count >= maxWords { return out }
                    out.append(masked(UnsafeRawBufferPointer(rebasing: message[start..<i])))
                }
                start = i + 1
            }
            i += 1
        }
        return out
    }

    static func isDelimiter(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "="), UInt8(ascii: ","), UInt8(ascii: ":"), UInt8(ascii: ";"), UInt8(ascii: "("), UInt8(ascii: ")"),
            UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "\""), UInt8(ascii: "'"):
            return true
        default: return false
        }
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    static func isIdentifier(_ piece: UnsafeRawBufferPointer) -> Bool {
        guard let first = piece.first, !isDigit(first) else { return false }
        return piece.allSatisfy { ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a) || isDigit($0) || $0 == 0x5f }
    }

    /// Weekday and month abbreviations, lower case, as three bytes in one number.
    static let names: Set<UInt32> = Set(
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
            .map { w in w.utf8.reduce(UInt32(0)) { $0 << 8 | UInt32($1) } })

    static func isName(_ piece: UnsafeRawBufferPointer) -> Bool {
        guard piece.count == 3 else { return false }
        return names.contains(UInt32(piece[0] | 0x20) << 16 | UInt32(piece[1] | 0x20) << 8 | UInt32(piece[2] | 0x20))
    }

    /// One word, masked.
    static func masked(_ word: UnsafeRawBufferPointer) -> String {
        if word.count > maxWordBytes { return wildcard }
        // Pieces: runs of non-delimiters, and each delimiter alone (as ranges of the word).
        var pieces: [Range<Int>] = []
        var hasDigit = false
        var hasDelimiter = false
        var start = 0
        for i in 0..<word.count {
            let b = word[i]
            if isDigit(b) { hasDigit = true }
            if isDelimiter(b) {
                hasDelimiter = true
                if i > start { pieces.append(start..<i) }
                pieces.append(i..<(i + 1))
                start = i + 1
            }
        }
        // The common word: letters and marks only, kept as it is.
        if !hasDigit && !hasDelimiter {
            return isName(word) ? wildcard : String(decoding: word, as: UTF8.self)
        }
        if start < word.count { pieces.append(start..<word.count) }
        func piece(_ r: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: word[r]) }
        func isDelim(_ r: Range<Int>) -> Bool { r.count == 1 && isDelimiter(word[r.lowerBound]) }
        if hasDigit {
            var keyed = false
            for i in 0..<(pieces.count - 1) {
                let next = pieces[i + 1]
                if next.count == 1, word[next.lowerBound] == UInt8(ascii: "=") || word[next.lowerBound] == UInt8(ascii: ":"),
                    isIdentifier(piece(pieces[i]))
                {
                    keyed = true
                    break
                }
            }
            if !keyed { return wildcard }
        }
        var out: [UInt8] = []
        out.reserveCapacity(word.count)
        var previousIsEquals = false
        // Whether `out` ends with a wildcard, and with a wildcard then one delimiter.
        var endsWithWildcard = false
        var wildcardThenDelimiter = false
        for r in pieces {
            let delim = isDelim(r)
            let p = piece(r)
            let variable = !delim && (p.contains(where: isDigit) || isName(p) || previousIsEquals)
            if variable {
                if endsWithWildcard {
                    // already one variable
                } else if wildcardThenDelimiter {
                    out.removeLast()  // the delimiter between two variables joins them
                    endsWithWildcard = true
                    wildcardThenDelimiter = false
                } else {
                    out.append(contentsOf: wildcard.utf8)
                    endsWithWildcard = true
                }
            } else {
                out.append(contentsOf: p)
                wildcardThenDelimiter = endsWithWildcard && delim && p[0] != UInt8(ascii: "=")
                endsWithWildcard = false
            }
            previousIsEquals = delim && p[0] == UInt8(ascii: "=")
        }
        return String(decoding: out, as: UTF8.self)
    }
}
