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
///
/// Masking writes the shape's bytes (masked words joined by single spaces) straight into a
/// buffer in one pass over the message: no string per word, so a line whose shape is known
/// costs a scan and a hash lookup (`MaskedMessages`, `PatternMiner.add(_:at:)`).
public enum TemplateTokens {
    public static let wildcard = "<*>"
    static let wildcardBytes: [UInt8] = Array(wildcard.utf8)
    /// Words of a message considered at most (a template is about a line's start).
    public static let maxWords = 128
    /// Longest word kept as it is; a longer one is a variable.
    static let maxWordBytes = 256

    /// The masked words of `message`.
    public static func of(_ message: Substring) -> [String] { of(utf8: message.utf8) }

    /// The masked words of a message given as UTF-8 bytes.
    public static func of<Bytes: Collection<UInt8>>(utf8 message: Bytes) -> [String] {
        var masked = MaskedMessages()
        masked.append(utf8: message)
        return masked.withMessage(0) { $0.words }
    }

    /// Appends the shape of `message` to `out` (words joined by single spaces) and each word's
    /// end, relative to where the shape starts, to `wordEnds`. One pass classifies each byte by
    /// table; only a word with delimiters is looked at again.
    static func mask(_ message: UnsafeRawBufferPointer, into out: inout ShapeWriter, wordEnds: inout [Int32]) {
        let origin = out.count
        var words = 0
        guard let bytes = message.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let n = message.count
        ByteClass.table.withUnsafeBufferPointer { table in
            var start = 0
            var flags: UInt8 = 0
            var i = 0
            while true {
                var c = ByteClass.separator
                if i < n {
                    c = table[Int(bytes[i])]
                    if c & ByteClass.separator == 0 {
                        flags |= c
                        i += 1
                        continue
                    }
                }
                if i > start {
                    if words >= maxWords { return }
                    if words > 0 { out.append(0x20) }
                    maskWord(UnsafeRawBufferPointer(rebasing: message[start..<i]), flags, into: &out)
                    wordEnds.append(Int32(out.count - origin))
                    words += 1
                }
                // The message's end, or its first line's: only a record's first line counts.
                if i >= n || c & ByteClass.newline != 0 { return }
                i += 1
                start = i
                flags = 0
            }
        }
    }

    /// Bytes a message's shape takes at most: each byte of a word gives at most a wildcard's
    /// three, and words and their lengths are bounded.
    static func shapeBound(_ messageBytes: Int) -> Int { min(3 * messageBytes, maxWords * (3 * maxWordBytes + 1)) }

    /// One word, masked, from what its bytes are (`flags`: their classes together).
    static func maskWord(_ word: UnsafeRawBufferPointer, _ flags: UInt8, into out: inout ShapeWriter) {
        if word.count > maxWordBytes || flags & (ByteClass.digit | ByteClass.delimiter) == ByteClass.digit {
            out.appendWildcard()  // long, or digits with nothing keyed
        } else if flags & ByteClass.delimiter != 0 {
            maskDelimited(word, hasDigit: flags & ByteClass.digit != 0, into: &out)
        } else if word.count == 3 && isName(word) {
            out.appendWildcard()
        } else {
            out.append(word)  // the common word: letters and marks only
        }
    }

    /// Writes a shape into memory sized by `shapeBound` beforehand.
    struct ShapeWriter {
        let base: UnsafeMutablePointer<UInt8>
        var count = 0

        mutating func append(_ byte: UInt8) {
            base[count] = byte
            count += 1
        }

        mutating func append(_ bytes: UnsafeRawBufferPointer) {
            if let from = bytes.baseAddress { UnsafeMutableRawPointer(base + count).copyMemory(from: from, byteCount: bytes.count) }
            count += bytes.count
        }

        mutating func appendWildcard() {
            (base[count], base[count + 1], base[count + 2]) = (UInt8(ascii: "<"), UInt8(ascii: "*"), UInt8(ascii: ">"))
            count += 3
        }

        mutating func removeLast() { count -= 1 }
    }

    /// What a byte is to masking, as bits.
    enum ByteClass {
        static let separator: UInt8 = 1  // space, tab, CR, LF: ends a word
        static let newline: UInt8 = 2  // LF: ends the message
        static let digit: UInt8 = 4
        static let delimiter: UInt8 = 8

        static let table: [UInt8] = (0...255).map { b -> UInt8 in
            let b = UInt8(b)
            if b == 0x0a { return separator | newline }
            if b == 0x20 || b == 0x09 || b == 0x0d { return separator }
            if isDigit(b) { return digit }
            return isDelimiter(b) ? delimiter : 0
        }
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

    /// A word with delimiters, masked, appended to `out`: with a digit and no key (an
    /// identifier right before `=` or `:`) it is one variable; else its values are.
    static func maskDelimited(_ word: UnsafeRawBufferPointer, hasDigit: Bool, into out: inout ShapeWriter) {
        if hasDigit {
            var keyed = false
            var run = 0
            for i in 0..<word.count where isDelimiter(word[i]) {
                let b = word[i]
                if b == UInt8(ascii: "=") || b == UInt8(ascii: ":"), i > run, isIdentifier(UnsafeRawBufferPointer(rebasing: word[run..<i])) {
                    keyed = true
                    break
                }
                run = i + 1
            }
            if !keyed { return out.appendWildcard() }
        }
        // Its pieces: runs of non-delimiters, and each delimiter alone.
        var piecewise = PieceMasker()
        var run = 0
        for i in 0..<word.count where isDelimiter(word[i]) {
            if i > run { piecewise.add(UnsafeRawBufferPointer(rebasing: word[run..<i]), delimiter: false, to: &out) }
            piecewise.add(UnsafeRawBufferPointer(rebasing: word[i..<(i + 1)]), delimiter: true, to: &out)
            run = i + 1
        }
        if run < word.count { piecewise.add(UnsafeRawBufferPointer(rebasing: word[run..<word.count]), delimiter: false, to: &out) }
    }

    /// Masks a keyed word piece by piece: a value is a variable, and variables with only
    /// delimiters between them (other than `=`) join into one.
    struct PieceMasker {
        var previousIsEquals = false
        /// Whether the output ends with a wildcard, and with a wildcard then one delimiter.
        var endsWithWildcard = false
        var wildcardThenDelimiter = false

        mutating func add(_ piece: UnsafeRawBufferPointer, delimiter: Bool, to out: inout ShapeWriter) {
            let variable = !delimiter && (piece.contains(where: isDigit) || isName(piece) || previousIsEquals)
            if variable {
                if endsWithWildcard {
                    // already one variable
                } else if wildcardThenDelimiter {
                    out.removeLast()  // the delimiter between two variables joins them
                    endsWithWildcard = true
                    wildcardThenDelimiter = false
                } else {
                    out.appendWildcard()
                    endsWithWildcard = true
                }
            } else {
                out.append(piece)
                wildcardThenDelimiter = endsWithWildcard && delimiter && piece[0] != UInt8(ascii: "=")
                endsWithWildcard = false
            }
            previousIsEquals = delimiter && piece[0] == UInt8(ascii: "=")
        }
    }

    /// A 64-bit hash of a shape's bytes, for the miner's table of known shapes (which checks
    /// the bytes on a match).
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        var i = 0
        while i + 8 <= bytes.count {
            h = (h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        // The last 0-7 bytes in at most two loads (they may overlap; the length is in `h`).
        let rest = bytes.count - i
        var tail: UInt64 = 0
        if rest >= 4 {
            tail =
                UInt64(bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self))
                | UInt64(bytes.loadUnaligned(fromByteOffset: bytes.count - 4, as: UInt32.self)) << 32
        } else if rest > 0 {
            tail = UInt64(bytes[i]) | UInt64(bytes[i + rest / 2]) << 8 | UInt64(bytes[bytes.count - 1]) << 16
        }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 29)
    }
}

/// The masked shapes of a batch's messages in one buffer, made outside the index's lock and
/// looked up under it.
public struct MaskedMessages: Sendable {
    /// Shapes one after another; `bytes` only grows, `used` of it hold shapes.
    private var bytes: [UInt8] = []
    private var used = 0
    private var wordEnds: [Int32] = []
    private var spans: [Span] = []

    struct Span {
        var bytes: Range<Int>
        var words: Range<Int>
        var hash: UInt64
    }

    public init() {}

    public var count: Int { spans.count }

    /// Masks one message (its UTF-8 bytes); returns its number in the batch.
    @discardableResult
    public mutating func append<Bytes: Collection<UInt8>>(utf8 message: Bytes) -> Int {
        if message.withContiguousStorageIfAvailable({ append(UnsafeRawBufferPointer($0)) }) == nil {
            Array(message).withUnsafeBytes { _ = append($0) }
        }
        return spans.count - 1
    }

    /// Masks the part of `text` from byte `offset` on; returns its number in the batch.
    @discardableResult
    public mutating func append(_ text: String, from offset: Int) -> Int {
        var text = text
        text.withUTF8 { all in
            let from = max(0, min(offset, all.count))
            _ = append(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(all)[from...]))
        }
        return spans.count - 1
    }

    /// Adds words already masked (a pattern's own); returns their number in the batch.
    @discardableResult
    public mutating func append(words: [String]) -> Int {
        let firstWord = wordEnds.count
        return write(atMost: words.reduce(0) { $0 + $1.utf8.count + 1 }, firstWord: firstWord) { out, ends in
            for (n, w) in words.enumerated() {
                if n > 0 { out.append(0x20) }
                var w = w
                w.withUTF8 { out.append(UnsafeRawBufferPointer($0)) }
                ends.append(Int32(out.count))
            }
        }
    }

    private mutating func append(_ message: UnsafeRawBufferPointer) -> Int {
        let firstWord = wordEnds.count
        return write(atMost: TemplateTokens.shapeBound(message.count), firstWord: firstWord) { out, ends in
            TemplateTokens.mask(message, into: &out, wordEnds: &ends)
        }
    }

    /// Writes one shape of at most `bound` bytes after the others, and notes where it is.
    private mutating func write(
        atMost bound: Int, firstWord: Int, _ body: (inout TemplateTokens.ShapeWriter, inout [Int32]) -> Void
    ) -> Int {
        if bytes.count < used + bound + 1 { bytes.append(contentsOf: repeatElement(0, count: max(used + bound + 1 - bytes.count, bytes.count))) }
        let start = used
        let written = bytes.withUnsafeMutableBufferPointer { b in
            var out = TemplateTokens.ShapeWriter(base: b.baseAddress! + start)
            body(&out, &wordEnds)
            return out.count
        }
        used += written
        let hash = bytes.withUnsafeBytes { TemplateTokens.hash(UnsafeRawBufferPointer(rebasing: $0[start..<(start + written)])) }
        spans.append(Span(bytes: start..<used, words: firstWord..<wordEnds.count, hash: hash))
        return spans.count - 1
    }

    /// Message `i` of the batch, for the time of `body`.
    public func withMessage<R>(_ i: Int, _ body: (MaskedMessage) throws -> R) rethrows -> R {
        let span = spans[i]
        return try bytes.withUnsafeBytes { b in
            try wordEnds.withUnsafeBufferPointer { e in
                try body(
                    MaskedMessage(
                        bytes: UnsafeRawBufferPointer(rebasing: b[span.bytes]), wordEnds: UnsafeBufferPointer(rebasing: e[span.words]),
                        hash: span.hash))
            }
        }
    }
}

/// One masked message: its shape's bytes, where each word ends, and the shape's hash. Valid
/// only inside `MaskedMessages.withMessage`.
public struct MaskedMessage {
    let bytes: UnsafeRawBufferPointer
    let wordEnds: UnsafeBufferPointer<Int32>
    let hash: UInt64

    var wordCount: Int { wordEnds.count }

    func word(_ i: Int) -> UnsafeRawBufferPointer {
        let start = i == 0 ? 0 : Int(wordEnds[i - 1]) + 1
        return UnsafeRawBufferPointer(rebasing: bytes[start..<Int(wordEnds[i])])
    }

    var words: [String] { (0..<wordCount).map { String(decoding: word($0), as: UTF8.self) } }
}
