/// Splits text into words the way ALCO's Sphinx `charset_table` did: `0-9 A-Z a-z _ - .` and
/// Cyrillic are word characters, case-folded (А-Я→а-я, Ё→ё, A-Z→a-z); every other byte or
/// character separates words.
///
/// Works on UTF-8 bytes without building Strings: tokenizing is the hottest loop of indexing.
public enum Tokenizer {
    /// Word class of each ASCII byte: 0 separator, 1 word, 2 upper-case letter (folds).
    static let asciiClass: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 128)
        for c in UInt8(ascii: "0")...UInt8(ascii: "9") { t[Int(c)] = 1 }
        for c in UInt8(ascii: "a")...UInt8(ascii: "z") { t[Int(c)] = 1 }
        for c in UInt8(ascii: "A")...UInt8(ascii: "Z") { t[Int(c)] = 2 }
        t[Int(UInt8(ascii: "_"))] = 1
        t[Int(UInt8(ascii: "-"))] = 1
        t[Int(UInt8(ascii: "."))] = 1
        return t
    }()

    /// Longest token kept; longer runs are split so that postings stay bounded.
    public static let maxTokenBytes = 1024

    /// Calls `body(token, position, sourceRange)` for every word in `text`; `token` is the
    /// folded word and is only valid during the call.
    @inline(__always)
    public static func forEachToken(
        _ text: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer, Int, Range<Int>) -> Void
    ) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: scratchBytes) { scratch in
            forEachToken(text, scratch: scratch.baseAddress!, body)
        }
    }

    /// Room for a folded token: `maxTokenBytes` and the two-byte character that may cross it.
    /// (More than the 1,024 bytes the standard library puts on the stack, so a hot caller
    /// passes scratch of its own rather than have every call allocate it.)
    static let scratchBytes = maxTokenBytes + 4

    /// `forEachToken` folding into `scratch`, which holds `scratchBytes`.
    @inline(__always)
    static func forEachToken(
        _ text: UnsafeRawBufferPointer, scratch: UnsafeMutablePointer<UInt8>,
        _ body: (UnsafeRawBufferPointer, Int, Range<Int>) -> Void
    ) {
        asciiClass.withUnsafeBufferPointer { cls in
            var i = 0
            let n = text.count
            var len = 0
            var start = 0
            var position = 0
            func emit(end: Int) {
                body(UnsafeRawBufferPointer(start: scratch, count: len), position, start..<end)
                position += 1
                len = 0
            }
            while i < n {
                let b = text[i]
                if b < 0x80 {
                    let c = cls[Int(b)]
                    if c != 0 {
                        if len == 0 { start = i }
                        scratch[len] = c == 2 ? b | 0x20 : b
                        len += 1
                        i += 1
                        if len >= maxTokenBytes { emit(end: i) }
                    } else {
                        if len > 0 { emit(end: i) }
                        i += 1
                    }
                    continue
                }
                // Multi-byte UTF-8: only two-byte Cyrillic sequences are word characters.
                if (b == 0xD0 || b == 0xD1) && i + 1 < n {
                    let b2 = text[i + 1]
                    var f0: UInt8 = 0
                    var f1: UInt8 = 0
                    if b == 0xD0 {
                        switch b2 {
                        case 0x81: f0 = 0xD1; f1 = 0x91  // Ё → ё
                        case 0x90...0x9F: f0 = 0xD0; f1 = b2 + 0x20  // А-П → а-п
                        case 0xA0...0xAF: f0 = 0xD1; f1 = b2 - 0x20  // Р-Я → р-я
                        case 0xB0...0xBF: f0 = 0xD0; f1 = b2  // а-п
                        default: break
                        }
                    } else {
                        switch b2 {
                        case 0x80...0x8F, 0x91: f0 = 0xD1; f1 = b2  // р-я, ё
                        default: break
                        }
                    }
                    if f0 != 0 {
                        if len == 0 { start = i }
                        scratch[len] = f0
                        scratch[len + 1] = f1
                        len += 2
                        i += 2
                        if len >= maxTokenBytes { emit(end: i) }
                        continue
                    }
                }
                if len > 0 { emit(end: i) }
                i += utf8SequenceLength(b)
            }
            if len > 0 { emit(end: n) }
        }
    }

    @inline(__always)
    static func utf8SequenceLength(_ lead: UInt8) -> Int {
        if lead < 0xC0 { return 1 }
        if lead < 0xE0 { return 2 }
        if lead < 0xF0 { return 3 }
        return 4
    }

    /// The folded words of `text`, for queries, tests and snippets.
    public static func tokens(_ text: String) -> [String] {
        var out: [String] = []
        var text = text
        text.withUTF8 { buf in
            forEachToken(UnsafeRawBufferPointer(buf)) { tok, _, _ in
                out.append(String(decoding: tok, as: UTF8.self))
            }
        }
        return out
    }

    /// Byte ranges of the words of `text`, without the words.
    public static func wordRanges(_ text: String) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var text = text
        text.withUTF8 { buf in
            forEachToken(UnsafeRawBufferPointer(buf)) { _, _, r in out.append(r) }
        }
        return out
    }

    /// Words with their byte ranges in `text`.
    public static func tokenRanges(_ text: String) -> [(term: String, range: Range<Int>)] {
        var out: [(String, Range<Int>)] = []
        var text = text
        text.withUTF8 { buf in
            forEachToken(UnsafeRawBufferPointer(buf)) { tok, _, r in
                out.append((String(decoding: tok, as: UTF8.self), r))
            }
        }
        return out
    }

    /// Case-folds ASCII and Cyrillic the way the tokenizer does, keeping every other byte.
    public static func fold(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b >= 0x41 && b <= 0x5A {
                out.append(b | 0x20)
                i += 1
            } else if b == 0xD0 && i + 1 < bytes.count {
                let b2 = bytes[i + 1]
                switch b2 {
                case 0x81: out.append(contentsOf: [0xD1, 0x91])
                case 0x90...0x9F: out.append(contentsOf: [0xD0, b2 + 0x20])
                case 0xA0...0xAF: out.append(contentsOf: [0xD1, b2 - 0x20])
                default: out.append(contentsOf: [b, b2])
                }
                i += 2
            } else {
                out.append(b)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
