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
        var out: [String] = []
        var utf8 = message[...]
        if let newline = utf8.firstIndex(of: 0x0a) { utf8 = utf8[..<newline] }
        var word: [UInt8] = []
        word.reserveCapacity(64)
        func finish() {
            if !word.isEmpty {
                out.append(masked(word))
                word.removeAll(keepingCapacity: true)
            }
        }
        for b in utf8 {
            if out.count >= maxWords { return out }
            if b == 0x20 || b == 0x09 || b == 0x0d {
                finish()
            } else {
                word.append(b)
            }
        }
        if out.count < maxWords { finish() }
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

    static func isIdentifier(_ piece: ArraySlice<UInt8>) -> Bool {
        guard let first = piece.first, !isDigit(first) else { return false }
        return piece.allSatisfy { ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a) || isDigit($0) || $0 == 0x5f }
    }

    static let names: Set<String> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    static func isName(_ piece: ArraySlice<UInt8>) -> Bool {
        piece.count == 3 && names.contains(String(decoding: piece.map { $0 | 0x20 }, as: UTF8.self))
    }

    /// One word, masked.
    static func masked(_ word: [UInt8]) -> String {
        if word.count > maxWordBytes { return wildcard }
        // Pieces: runs of non-delimiters, and each delimiter alone.
        var pieces: [ArraySlice<UInt8>] = []
        var start = 0
        for (i, b) in word.enumerated() where isDelimiter(b) {
            if i > start { pieces.append(word[start..<i]) }
            pieces.append(word[i..<(i + 1)])
            start = i + 1
        }
        if start < word.count { pieces.append(word[start...]) }
        let hasDigit = word.contains(where: isDigit)
        if hasDigit {
            var keyed = false
            for i in 0..<(pieces.count - 1) {
                let next = pieces[i + 1]
                if next.count == 1, next.first == UInt8(ascii: "=") || next.first == UInt8(ascii: ":"), isIdentifier(pieces[i]) {
                    keyed = true
                    break
                }
            }
            if !keyed { return wildcard }
        }
        var out: [UInt8] = []
        out.reserveCapacity(word.count)
        var previous: ArraySlice<UInt8>?
        // Whether `out` ends with a wildcard, and with a wildcard then one delimiter.
        var endsWithWildcard = false
        var wildcardThenDelimiter = false
        for piece in pieces {
            let isDelim = piece.count == 1 && isDelimiter(piece.first!)
            let variable =
                !isDelim && (piece.contains(where: isDigit) || isName(piece) || (previous?.count == 1 && previous?.first == UInt8(ascii: "=")))
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
                out.append(contentsOf: piece)
                wildcardThenDelimiter = endsWithWildcard && isDelim && piece.first != UInt8(ascii: "=")
                endsWithWildcard = false
            }
            previous = piece
        }
        return String(decoding: out, as: UTF8.self)
    }
}
