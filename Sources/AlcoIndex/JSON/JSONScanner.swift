/// Streaming walks over JSON text that build no tree: the hot paths (decoding a logstash
/// message, indexing a document's js) only need the top-level members as raw bytes, or every
/// scalar with its dotted path.
public enum JSONScanner {
    public enum Scalar {
        /// The decoded string (escapes resolved); only valid during the callback.
        case string(UnsafeRawBufferPointer)
        /// The number's literal text.
        case number(UnsafeRawBufferPointer)
        case bool(Bool)
    }

    /// Calls `body(path, scalar)` for every string, number and boolean, depth first, in text
    /// order; arrays keep their key's path, object members append `.key`. Returns false when
    /// the text is not valid JSON (the scalars seen so far were still reported).
    @discardableResult
    public static func forEachScalar(_ text: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Scalar) -> Void) -> Bool {
        var s = Walker(p: text)
        return s.run(body)
    }

    /// The members of a top-level object: decoded key and the raw bytes of its value.
    /// Returns nil when `text` is not exactly one valid JSON object.
    public static func topLevelMembers(_ text: UnsafeRawBufferPointer) throws -> [(key: String, value: Range<Int>)] {
        var w = Walker(p: text)
        return try w.members()
    }

    /// Calls `body` with each top-level member of a JSON object, in order: the range of the
    /// key's bytes between its quotes (escapes as sent) and the range of its value's bytes.
    /// Throws when `text` is not exactly one valid JSON object; members before the error have
    /// been seen by then.
    public static func forEachTopLevelMember(
        _ text: UnsafeRawBufferPointer, _ body: (_ key: Range<Int>, _ value: Range<Int>) throws -> Void
    ) throws {
        var w = Walker(p: text)
        try w.members { key, value in try body(key, value) }
    }

    /// The first index from `start` holding a quote, a backslash or a control character
    /// (`p.count` when none): the bytes a string scan can skip. Eight bytes per step, with
    /// the "has a byte less than n" bit trick; the lowest flagged byte is always a real one.
    @inline(__always)
    static func plainBytes(_ p: UnsafeRawBufferPointer, from start: Int) -> Int {
        var k = start
        let n = p.count
        guard let base = p.baseAddress else { return n }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while k + 8 <= n {
            let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: k, as: UInt64.self))
            let quote = w ^ (ones &* 0x22)
            let backslash = w ^ (ones &* 0x5C)
            let flagged = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((w &- ones &* 0x20) & ~w)
            let hits = flagged & highs
            if hits != 0 { return k + hits.trailingZeroBitCount >> 3 }
            k += 8
        }
        while k < n {
            let c = base.load(fromByteOffset: k, as: UInt8.self)
            if c == 0x22 || c == 0x5C || c < 0x20 { return k }
            k += 1
        }
        return n
    }

    struct Walker {
        let p: UnsafeRawBufferPointer
        var i = 0
        var path: [UInt8] = []
        /// A top-level key written without escapes is the path as it stands in the text: its
        /// scalars get those bytes, with no copy into `path` and none taken out again (most
        /// js members are such; nested members copy it into `path` first, `materializeTopKey`).
        var topKey: Range<Int>?
        var scratch: [UInt8] = []
        var depth = 0

        init(p: UnsafeRawBufferPointer) { self.p = p }

        mutating func skipSpace() {
            while i < p.count, p[i] == 0x20 || p[i] == 0x0a || p[i] == 0x0d || p[i] == 0x09 { i += 1 }
        }

        mutating func run(_ body: (UnsafeRawBufferPointer, Scalar) -> Void) -> Bool {
            skipSpace()
            let ok = withoutActuallyEscaping(body) { escapable in (try? value(escapable)) != nil }
            guard ok else { return false }
            skipSpace()
            return i == p.count
        }

        mutating func members() throws -> [(key: String, value: Range<Int>)] {
            var ranges: [(key: Range<Int>, value: Range<Int>)] = []
            try members { key, value in ranges.append((key, value)) }
            return try ranges.map { r in
                try string(at: r.key.lowerBound - 1)
                return (String(decoding: scratch, as: UTF8.self), r.value)
            }
        }

        /// Walks a top-level object, handing over raw key ranges and value ranges.
        mutating func members(_ body: (Range<Int>, Range<Int>) throws -> Void) throws {
            skipSpace()
            guard i < p.count, p[i] == UInt8(ascii: "{") else { throw JSONParseError(message: "expected a JSON object", offset: i) }
            i += 1
            skipSpace()
            if i < p.count, p[i] == UInt8(ascii: "}") {
                i += 1
            } else {
                while true {
                    skipSpace()
                    guard i < p.count, p[i] == UInt8(ascii: "\"") else { throw JSONParseError(message: "expected a string key", offset: i) }
                    let keyStart = i + 1
                    try string(capture: false)
                    let key = keyStart..<(i - 1)
                    skipSpace()
                    guard i < p.count, p[i] == UInt8(ascii: ":") else { throw JSONParseError(message: "expected ':'", offset: i) }
                    i += 1
                    skipSpace()
                    let start = i
                    try value(nil)
                    let end = i
                    try body(key, start..<end)
                    i = end
                    skipSpace()
                    guard i < p.count else { throw JSONParseError(message: "unterminated object", offset: i) }
                    if p[i] == UInt8(ascii: ",") { i += 1; continue }
                    if p[i] == UInt8(ascii: "}") { i += 1; break }
                    throw JSONParseError(message: "expected ',' or '}'", offset: i)
                }
            }
            skipSpace()
            guard i == p.count else { throw JSONParseError(message: "unexpected data after JSON value", offset: i) }
        }

        /// Decodes the (already validated) string whose opening quote is at `at` into `scratch`.
        mutating func string(at: Int) throws {
            let saved = i
            i = at
            defer { i = saved }
            try string()
        }

        mutating func value(_ body: ((UnsafeRawBufferPointer, Scalar) -> Void)?) throws {
            guard i < p.count else { throw JSONParseError(message: "unexpected end of JSON", offset: i) }
            switch p[i] {
            case UInt8(ascii: "{"):
                depth += 1
                defer { depth -= 1 }
                if depth > JSONParser.maxDepth { throw JSONParseError(message: "JSON nested too deeply", offset: i) }
                i += 1
                skipSpace()
                if i < p.count, p[i] == UInt8(ascii: "}") { i += 1; return }
                while true {
                    skipSpace()
                    guard i < p.count, p[i] == UInt8(ascii: "\"") else { throw JSONParseError(message: "expected a string key", offset: i) }
                    var saved = path.count
                    var isTopKey = false
                    if body != nil {
                        let raw = try stringInPlace()
                        if depth == 1, let raw {
                            topKey = raw
                            isTopKey = true
                        } else {
                            materializeTopKey()
                            saved = path.count
                            if !path.isEmpty { path.append(UInt8(ascii: ".")) }
                            if let raw { path.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[raw])) } else { path.append(contentsOf: scratch) }
                        }
                    } else {
                        try string(capture: false)
                    }
                    skipSpace()
                    guard i < p.count, p[i] == UInt8(ascii: ":") else { throw JSONParseError(message: "expected ':'", offset: i) }
                    i += 1
                    skipSpace()
                    try value(body)
                    if isTopKey {
                        // Copied into `path` only if the value had members of its own.
                        if topKey == nil { path.removeAll(keepingCapacity: true) } else { topKey = nil }
                    } else {
                        path.removeLast(path.count - saved)
                    }
                    skipSpace()
                    guard i < p.count else { throw JSONParseError(message: "unterminated object", offset: i) }
                    if p[i] == UInt8(ascii: ",") { i += 1; continue }
                    if p[i] == UInt8(ascii: "}") { i += 1; return }
                    throw JSONParseError(message: "expected ',' or '}'", offset: i)
                }
            case UInt8(ascii: "["):
                depth += 1
                defer { depth -= 1 }
                if depth > JSONParser.maxDepth { throw JSONParseError(message: "JSON nested too deeply", offset: i) }
                i += 1
                skipSpace()
                if i < p.count, p[i] == UInt8(ascii: "]") { i += 1; return }
                while true {
                    skipSpace()
                    try value(body)
                    skipSpace()
                    guard i < p.count else { throw JSONParseError(message: "unterminated array", offset: i) }
                    if p[i] == UInt8(ascii: ",") { i += 1; continue }
                    if p[i] == UInt8(ascii: "]") { i += 1; return }
                    throw JSONParseError(message: "expected ',' or ']'", offset: i)
                }
            case UInt8(ascii: "\""):
                if let body {
                    // The closures take the value, not `self`: one that reads a property copies
                    // the walker (and retains its buffers) for every value.
                    if let raw = try stringInPlace() {
                        let value = UnsafeRawBufferPointer(rebasing: p[raw])
                        withPath { body($0, .string(value)) }
                    } else {
                        let decoded = scratch
                        withPath { pb in decoded.withUnsafeBytes { body(pb, .string($0)) } }
                    }
                } else {
                    try string(capture: false)
                }
            case UInt8(ascii: "t"):
                try literal("true")
                if let body { withPath { body($0, .bool(true)) } }
            case UInt8(ascii: "f"):
                try literal("false")
                if let body { withPath { body($0, .bool(false)) } }
            case UInt8(ascii: "n"):
                try literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = i
                try number()
                if let body {
                    let raw = UnsafeRawBufferPointer(rebasing: p[start..<i])
                    withPath { body($0, .number(raw)) }
                }
            default:
                throw JSONParseError(message: "unexpected character", offset: i)
            }
        }

        /// The current scalar's dotted path.
        @inline(__always)
        func withPath(_ body: (UnsafeRawBufferPointer) -> Void) {
            if let k = topKey { body(UnsafeRawBufferPointer(rebasing: p[k])) } else { path.withUnsafeBytes(body) }
        }

        /// Puts a top-level key held in place into `path`, before a nested member extends it.
        mutating func materializeTopKey() {
            guard let k = topKey else { return }
            path.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[k]))
            topKey = nil
        }

        mutating func literal(_ word: StaticString) throws {
            let n = word.utf8CodeUnitCount
            guard i + n <= p.count else { throw JSONParseError(message: "unexpected end of JSON", offset: i) }
            let w = UnsafeRawBufferPointer(start: word.utf8Start, count: n)
            for k in 0..<n where p[i + k] != w[k] { throw JSONParseError(message: "invalid literal", offset: i) }
            i += n
        }

        mutating func number() throws {
            if p[i] == UInt8(ascii: "-") { i += 1 }
            let s = i
            while i < p.count, p[i] >= 0x30, p[i] <= 0x39 { i += 1 }
            if i == s { throw JSONParseError(message: "invalid number", offset: i) }
            if p[s] == 0x30 && i - s > 1 { throw JSONParseError(message: "leading zero in number", offset: s) }
            if i < p.count, p[i] == UInt8(ascii: ".") {
                i += 1
                let f = i
                while i < p.count, p[i] >= 0x30, p[i] <= 0x39 { i += 1 }
                if i == f { throw JSONParseError(message: "invalid number", offset: i) }
            }
            if i < p.count, p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") {
                i += 1
                if i < p.count, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { i += 1 }
                let e = i
                while i < p.count, p[i] >= 0x30, p[i] <= 0x39 { i += 1 }
                if i == e { throw JSONParseError(message: "invalid number exponent", offset: i) }
            }
        }

        /// The string at `i`: its raw range when it has no escape (most do: no copy), else
        /// nil with the decoded text in `scratch`.
        mutating func stringInPlace() throws -> Range<Int>? {
            let k = JSONScanner.plainBytes(p, from: i + 1)
            if k < p.count && p[k] == UInt8(ascii: "\"") {
                defer { i = k + 1 }
                return (i + 1)..<k
            }
            if k < p.count && p[k] < 0x20 { throw JSONParseError(message: "control character in string", offset: k) }
            try string()
            return nil
        }

        /// Decodes the string at `i` into `scratch`, or with `capture` false only checks it
        /// (values nobody reads are not copied).
        mutating func string(capture: Bool = true) throws {
            // Left alone when already empty: emptying an empty array still checks and releases.
            if !scratch.isEmpty { scratch.removeAll(keepingCapacity: true) }
            i += 1
            var start = i
            while true {
                i = JSONScanner.plainBytes(p, from: i)
                guard i < p.count else { break }
                let c = p[i]
                if c == UInt8(ascii: "\"") {
                    if capture { scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[start..<i])) }
                    i += 1
                    return
                }
                if c < 0x20 { throw JSONParseError(message: "control character in string", offset: i) }
                // A backslash.
                if capture { scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[start..<i])) }
                i += 1
                guard i < p.count else { break }
                let e = p[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): scratch.append(0x22)
                case UInt8(ascii: "\\"): scratch.append(0x5c)
                case UInt8(ascii: "/"): scratch.append(0x2f)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0c)
                case UInt8(ascii: "n"): scratch.append(0x0a)
                case UInt8(ascii: "r"): scratch.append(0x0d)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar), i + 6 <= p.count, p[i] == 0x5c, p[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        let low = try hex4()
                        scalar = (0xDC00..<0xE000).contains(low) ? 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD
                    } else if (0xD800..<0xE000).contains(scalar) {
                        scalar = 0xFFFD
                    }
                    let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    scratch.append(contentsOf: String(Character(u)).utf8)
                default: throw JSONParseError(message: "invalid escape", offset: i - 1)
                }
                start = i
            }
            throw JSONParseError(message: "unterminated string", offset: i)
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= p.count else { throw JSONParseError(message: "truncated \\u escape", offset: i) }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = p[i]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw JSONParseError(message: "invalid \\u escape", offset: i)
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }
    }
}
