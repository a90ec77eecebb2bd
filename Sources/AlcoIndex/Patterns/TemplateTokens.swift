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

    /// Appends the shape of `message` to `out`: masked words joined by single spaces, each
    /// word's end noted. One pass classifies each byte by table; only a word with delimiters
    /// is looked at again.
    static func mask(_ message: UnsafeRawBufferPointer, into out: inout ShapeWriter) {
        guard let bytes = message.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let n = message.count
        ByteClass.table.withUnsafeBufferPointer { t in
            let table = t.baseAddress!
            var i = 0
            while i < n {
                var c = table[Int(bytes[i])]
                if c & ByteClass.separator != 0 {
                    // The message's end is its first line's: only a record's first line counts.
                    if c & ByteClass.newline != 0 { return }
                    i += 1
                    continue
                }
                if out.words >= maxWords { return }
                let start = i
                var flags: UInt8 = 0
                repeat {
                    flags |= c
                    i += 1
                    if i == n { break }
                    c = table[Int(bytes[i])]
                } while c & ByteClass.separator == 0
                if out.words > 0 { out.append(0x20) }
                maskWord(UnsafeRawBufferPointer(start: bytes + start, count: i - start), flags, table, into: &out)
                out.endWord()
            }
        }
    }

    /// Bytes a message's shape takes at most: each byte of a word gives at most a wildcard's
    /// three, and words and their lengths are bounded.
    static func shapeBound(_ messageBytes: Int) -> Int { min(3 * messageBytes, maxWords * (3 * maxWordBytes + 1)) }

    /// One word, masked, from what its bytes are (`flags`: their classes together).
    static func maskWord(_ word: UnsafeRawBufferPointer, _ flags: UInt8, _ table: UnsafePointer<UInt8>, into out: inout ShapeWriter) {
        if word.count > maxWordBytes || flags & (ByteClass.digit | ByteClass.delimiter) == ByteClass.digit {
            out.appendWildcard()  // long, or digits with nothing keyed
        } else if flags & ByteClass.delimiter != 0 {
            maskDelimited(word, hasDigit: flags & ByteClass.digit != 0, table, into: &out)
        } else if isName(word) {
            out.appendWildcard()
        } else {
            out.append(word)  // the common word: letters and marks only
        }
    }

    /// Writes a shape and its word ends into memory sized beforehand (`shapeBound` bytes,
    /// `maxWords` ends).
    struct ShapeWriter {
        let base: UnsafeMutablePointer<UInt8>
        var count = 0
        let ends: UnsafeMutablePointer<Int32>
        var words = 0

        mutating func append(_ byte: UInt8) {
            base[count] = byte
            count += 1
        }

        /// Short words are copied without a memcpy call (`ShortBytes`): a call per word cost
        /// more than the word.
        @inline(__always)
        mutating func append(_ bytes: UnsafeRawBufferPointer) {
            let n = bytes.count
            guard n > 0, let from = bytes.baseAddress else { return }
            ShortBytes.copy(from, to: UnsafeMutableRawPointer(base + count), count: n)
            count += n
        }

        mutating func appendWildcard() {
            (base[count], base[count + 1], base[count + 2]) = (UInt8(ascii: "<"), UInt8(ascii: "*"), UInt8(ascii: ">"))
            count += 3
        }

        mutating func removeLast() { count -= 1 }

        /// Notes that a word ends here.
        mutating func endWord() {
            ends[words] = Int32(count)
            words += 1
        }
    }

    /// What a byte is to masking, as bits.
    enum ByteClass {
        static let separator: UInt8 = 1  // space, tab, CR, LF: ends a word
        static let newline: UInt8 = 2  // LF: ends the message
        static let digit: UInt8 = 4
        static let delimiter: UInt8 = 8
        /// Not a letter, digit or `_` (nor a separator or delimiter): a piece with one is no key.
        static let nonIdentifier: UInt8 = 16

        static let table: [UInt8] = (0...255).map { b -> UInt8 in
            let b = UInt8(b)
            if b == 0x0a { return separator | newline }
            if b == 0x20 || b == 0x09 || b == 0x0d { return separator }
            if isDigit(b) { return digit }
            if isDelimiter(b) { return delimiter }
            return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x5f ? 0 : nonIdentifier
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

    /// Whether a piece is a weekday or month abbreviation, in any case (`Sun`, `JUL`): its
    /// three bytes, lower-cased, as one number (a switch, not a hashed set: most words ask).
    static func isName(_ piece: UnsafeRawBufferPointer) -> Bool {
        guard piece.count == 3 else { return false }
        switch UInt32(piece[0] | 0x20) << 16 | UInt32(piece[1] | 0x20) << 8 | UInt32(piece[2] | 0x20) {
        case 0x6d6f6e, 0x747565, 0x776564, 0x746875, 0x667269, 0x736174, 0x73756e:  // mon tue wed thu fri sat sun
            return true
        case 0x6a616e, 0x666562, 0x6d6172, 0x617072, 0x6d6179, 0x6a756e, 0x6a756c, 0x617567, 0x736570, 0x6f6374, 0x6e6f76, 0x646563:
            return true  // jan feb mar apr may jun jul aug sep oct nov dec
        default:
            return false
        }
    }

    /// A word with delimiters, masked, appended to `out`: with a digit and no key (an
    /// identifier right before `=` or `:`) it is one variable; else its values are.
    static func maskDelimited(_ word: UnsafeRawBufferPointer, hasDigit: Bool, _ table: UnsafePointer<UInt8>, into out: inout ShapeWriter) {
        let w = word.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let n = word.count
        if hasDigit && !hasKey(w, n, table) { return out.appendWildcard() }
        var piecewise = PieceMasker()
        walkPieces(w, n, table) { run, flags, delimiter in
            if !run.isEmpty {
                piecewise.add(UnsafeRawBufferPointer(start: w + run.lowerBound, count: run.count), hasDigit: flags & ByteClass.digit != 0, to: &out)
            }
            if let delimiter { piecewise.addDelimiter(delimiter, to: &out) }
            return true
        }
    }

    /// Whether a word has a key: an identifier (letters, digits and `_`, no digit first) right
    /// before a `=` or `:`. Stops at the first.
    static func hasKey(_ w: UnsafePointer<UInt8>, _ n: Int, _ table: UnsafePointer<UInt8>) -> Bool {
        var keyed = false
        walkPieces(w, n, table) { run, flags, delimiter in
            keyed =
                (delimiter == UInt8(ascii: "=") || delimiter == UInt8(ascii: ":")) && !run.isEmpty
                && flags & ByteClass.nonIdentifier == 0 && !isDigit(w[run.lowerBound])
            return !keyed
        }
        return keyed
    }

    /// Walks a word's pieces: each run of non-delimiters (possibly empty), with its bytes'
    /// classes together, and the delimiter that ends it (nil at the word's end). `body`
    /// returns false to stop.
    @inline(__always)
    static func walkPieces(
        _ w: UnsafePointer<UInt8>, _ n: Int, _ table: UnsafePointer<UInt8>, _ body: (_ run: Range<Int>, _ flags: UInt8, _ delimiter: UInt8?) -> Bool
    ) {
        var run = 0
        var flags: UInt8 = 0
        for i in 0..<n {
            let c = table[Int(w[i])]
            guard c & ByteClass.delimiter != 0 else {
                flags |= c
                continue
            }
            if !body(run..<i, flags, w[i]) { return }
            run = i + 1
            flags = 0
        }
        _ = body(run..<n, flags, nil)
    }

    /// Masks a keyed word piece by piece: a value is a variable, and variables with only
    /// delimiters between them (other than `=`) join into one.
    struct PieceMasker {
        var previousIsEquals = false
        /// Whether the output ends with a wildcard, and with a wildcard then one delimiter.
        var endsWithWildcard = false
        var wildcardThenDelimiter = false

        /// A run of non-delimiters: a variable when it has a digit, is a name, or follows `=`.
        mutating func add(_ piece: UnsafeRawBufferPointer, hasDigit: Bool, to out: inout ShapeWriter) {
            if hasDigit || previousIsEquals || isName(piece) {
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
                wildcardThenDelimiter = false
                endsWithWildcard = false
            }
            previousIsEquals = false
        }

        mutating func addDelimiter(_ delimiter: UInt8, to out: inout ShapeWriter) {
            out.append(delimiter)
            wildcardThenDelimiter = endsWithWildcard && delimiter != UInt8(ascii: "=")
            endsWithWildcard = false
            previousIsEquals = delimiter == UInt8(ascii: "=")
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
    /// Each word's end, relative to its shape's start; `endsUsed` of it hold ends.
    private var wordEnds: [Int32] = []
    private var endsUsed = 0
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
        write(atMost: words.reduce(0) { $0 + $1.utf8.count + 1 }, words: words.count) { out in
            for (n, w) in words.enumerated() {
                if n > 0 { out.append(0x20) }
                var w = w
                w.withUTF8 { out.append(UnsafeRawBufferPointer($0)) }
                out.endWord()
            }
        }
    }

    private mutating func append(_ message: UnsafeRawBufferPointer) -> Int {
        write(atMost: TemplateTokens.shapeBound(message.count), words: TemplateTokens.maxWords) { out in
            TemplateTokens.mask(message, into: &out)
        }
    }

    /// Writes one shape of at most `bound` bytes and `maxWords` words after the others, and
    /// notes where it is.
    private mutating func write(atMost bound: Int, words maxWords: Int, _ body: (inout TemplateTokens.ShapeWriter) -> Void) -> Int {
        // Grown ahead (at least doubling), so a batch's shapes are written in place.
        if bytes.count < used + bound + 1 { bytes.append(contentsOf: repeatElement(0, count: max(used + bound + 1 - bytes.count, bytes.count))) }
        if wordEnds.count < endsUsed + maxWords {
            wordEnds.append(contentsOf: repeatElement(0, count: max(endsUsed + maxWords - wordEnds.count, wordEnds.count)))
        }
        let start = used
        let firstWord = endsUsed
        let (written, words) = bytes.withUnsafeMutableBufferPointer { b in
            wordEnds.withUnsafeMutableBufferPointer { e in
                var out = TemplateTokens.ShapeWriter(base: b.baseAddress! + start, ends: e.baseAddress! + firstWord)
                body(&out)
                return (out.count, out.words)
            }
        }
        used += written
        endsUsed += words
        let hash = bytes.withUnsafeBytes { TemplateTokens.hash(UnsafeRawBufferPointer(rebasing: $0[start..<(start + written)])) }
        spans.append(Span(bytes: start..<used, words: firstWord..<endsUsed, hash: hash))
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
