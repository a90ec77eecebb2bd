import CZlib

/// Packs JSON text straight into Sphinx's binary JSON, in one pass and one buffer: what an
/// agent does for every document a master asks for (up to max_matches of them per query), so
/// no tree is built for objects and scalars. Arrays, which must be seen whole to pick their
/// vector type, go through `PackedJSON`.
public struct PackedJSONPacker {
    private let p: UnsafeRawBufferPointer
    private var i = 0
    private var depth = 0
    private var out: [UInt8] = []
    static let maxDepth = 200

    public struct Failure: Error, CustomStringConvertible {
        public let offset: Int
        public var description: String { "malformed JSON at byte \(offset)" }
    }

    private init(_ p: UnsafeRawBufferPointer) {
        self.p = p
        out.reserveCapacity(p.count + 16)
    }

    /// The packed document of JSON text (`PackedJSON.packedDocument()` of its tree).
    public static func document(_ text: String) throws -> [UInt8] {
        var text = text
        return try text.withUTF8 { try document(UnsafeRawBufferPointer($0)) }
    }

    public static func document(_ text: UnsafeRawBufferPointer) throws -> [UInt8] {
        var packer = PackedJSONPacker(text)
        packer.skipSpace()
        if packer.peek == UInt8(ascii: "{") {
            packer.i += 1
            let mask = packer.out.count
            packer.out += [0, 0, 0, 0]
            try packer.members(maskAt: mask)
        } else {
            try packer.value()
        }
        packer.skipSpace()
        guard packer.i == text.count else { throw Failure(offset: packer.i) }
        packer.out.append(PackedJSON.Kind.eof.rawValue)
        return packer.out
    }

    private var peek: UInt8? { i < p.count ? p[i] : nil }

    private mutating func skipSpace() {
        while i < p.count, p[i] == 0x20 || p[i] == 0x09 || p[i] == 0x0A || p[i] == 0x0D { i += 1 }
    }

    private mutating func expect(_ c: UInt8) throws {
        skipSpace()
        guard peek == c else { throw Failure(offset: i) }
        i += 1
    }

    /// An object's members after its `{`, its end mark, and its key mask stored at `maskAt`.
    private mutating func members(maskAt: Int) throws {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw Failure(offset: i) }
        var mask: UInt32 = 0
        skipSpace()
        if peek == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                skipSpace()
                // The type byte goes before the key; it is known only once the value is seen.
                let typeAt = out.count
                out.append(0)
                let keyAt = out.count
                try appendString()
                mask |= keyMask(from: keyAt)
                try expect(UInt8(ascii: ":"))
                try value(typeAt: typeAt)
                skipSpace()
                guard let c = peek else { throw Failure(offset: i) }
                i += 1
                if c == UInt8(ascii: "}") { break }
                guard c == UInt8(ascii: ",") else { throw Failure(offset: i - 1) }
            }
        }
        out.append(PackedJSON.Kind.eof.rawValue)
        for k in 0..<4 { out[maskAt + k] = UInt8(truncatingIfNeeded: mask >> (8 * k)) }
    }

    /// The Bloom bits of the packed key written at `at` (its length, then its bytes).
    private func keyMask(from at: Int) -> UInt32 {
        var start = at
        let first = out[at]
        start += first < 252 ? 1 : first == 252 ? 3 : first == 253 ? 4 : 5
        let crc = out.withUnsafeBufferPointer { b in
            UInt32(crc32(0, b.baseAddress! + start, UInt32(out.count - start)))
        }
        return (1 << (crc & 31)) &+ (1 << ((crc >> 8) & 31))
    }

    private mutating func appendLength(_ n: Int) {
        if n < 252 {
            out.append(UInt8(n))
        } else {
            out += PackedJSON.Writer.packedLength(n)
        }
    }

    private mutating func appendLittleEndian(_ v: UInt64, bytes: Int) {
        for k in 0..<bytes { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }

    /// A value; its type byte goes at `typeAt` (kept before its key) or, without a key, first.
    private mutating func value(typeAt: Int? = nil) throws {
        let typeAt =
            typeAt
            ?? {
                out.append(0); return out.count - 1
            }()
        func type(_ kind: PackedJSON.Kind) { out[typeAt] = kind.rawValue }
        skipSpace()
        guard let c = peek else { throw Failure(offset: i) }
        switch c {
        case UInt8(ascii: "{"):
            i += 1
            type(.object)
            let size = out.count
            out.append(0)
            out += [0, 0, 0, 0]
            try members(maskAt: size + 1)
            // The size goes before the body: one byte was kept for it, more are made room for.
            let length = out.count - size - 1
            if length < 252 {
                out[size] = UInt8(length)
            } else {
                out.replaceSubrange(size..<(size + 1), with: PackedJSON.Writer.packedLength(length))
            }
        case UInt8(ascii: "["):
            // `[]` (logstash's empty `tags`): an empty mixed vector, its size and count.
            var j = i + 1
            while j < p.count, p[j] == 0x20 || p[j] == 0x09 || p[j] == 0x0A || p[j] == 0x0D { j += 1 }
            if j < p.count, p[j] == UInt8(ascii: "]") {
                i = j + 1
                type(.mixedVector)
                out += [1, 0]
                return
            }
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maxDepth else { throw Failure(offset: i) }
            var w = PackedJSON.Writer()
            let kind = w.node(try tree(), key: nil)
            type(kind)
            out += w.bytes.dropFirst()
        case UInt8(ascii: "\""):
            type(.string)
            try appendString()
        case UInt8(ascii: "t"):
            try literal("true")
            type(.true)
        case UInt8(ascii: "f"):
            try literal("false")
            type(.false)
        case UInt8(ascii: "n"):
            try literal("null")
            type(.null)
        default:
            switch try number() {
            case .int(let n) where Int64(Int32(truncatingIfNeeded: n)) == n:
                type(.int32)
                appendLittleEndian(UInt64(UInt32(bitPattern: Int32(truncatingIfNeeded: n))), bytes: 4)
            case .int(let n):
                type(.int64)
                appendLittleEndian(UInt64(bitPattern: n), bytes: 8)
            case .double(let d):
                type(.double)
                appendLittleEndian(d.bitPattern, bytes: 8)
            default:
                throw Failure(offset: i)
            }
        }
    }

    /// A string's packed length and bytes, written straight from the text when it has no
    /// escapes (nearly always).
    private mutating func appendString() throws {
        guard peek == UInt8(ascii: "\"") else { throw Failure(offset: i) }
        var j = i + 1
        while j < p.count, p[j] != UInt8(ascii: "\""), p[j] != UInt8(ascii: "\\") { j += 1 }
        guard j < p.count else { throw Failure(offset: j) }
        if p[j] == UInt8(ascii: "\"") {
            appendLength(j - i - 1)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[(i + 1)..<j]))
            i = j + 1
            return
        }
        let s = try string()
        appendLength(s.count)
        out += s
    }

    /// A value as a tree (inside arrays).
    private mutating func tree() throws -> PackedJSON {
        skipSpace()
        guard let c = peek else { throw Failure(offset: i) }
        switch c {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maxDepth else { throw Failure(offset: i) }
            i += 1
            let close = c == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            var items: [PackedJSON] = []
            var members: [(key: [UInt8], value: PackedJSON)] = []
            skipSpace()
            if peek == close {
                i += 1
            } else {
                while true {
                    if close == UInt8(ascii: "}") {
                        skipSpace()
                        let key = try string()
                        try expect(UInt8(ascii: ":"))
                        members.append((key, try tree()))
                    } else {
                        items.append(try tree())
                    }
                    skipSpace()
                    guard let d = peek else { throw Failure(offset: i) }
                    i += 1
                    if d == close { break }
                    guard d == UInt8(ascii: ",") else { throw Failure(offset: i - 1) }
                }
            }
            return close == UInt8(ascii: "}") ? .object(members) : .array(items)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default: return try number()
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard i + n <= p.count else { throw Failure(offset: i) }
        for k in 0..<n where p[i + k] != word.utf8Start[k] { throw Failure(offset: i + k) }
        i += n
    }

    /// A number as Sphinx's lexer reads it: integers as 64-bit (clamped), anything with a
    /// fraction or exponent as a double.
    private mutating func number() throws -> PackedJSON {
        let start = i
        var isInteger = true
        while i < p.count {
            let c = p[i]
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") {
                i += 1
            } else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                isInteger = false
                i += 1
            } else {
                break
            }
        }
        guard i > start else { throw Failure(offset: i) }
        if isInteger, i - start <= 18 {
            // Up to 18 digits cannot overflow: read in place.
            var k = start
            let negative = p[k] == UInt8(ascii: "-")
            if negative { k += 1 }
            guard k < i else { throw Failure(offset: start) }
            var n: Int64 = 0
            while k < i {
                let d = p[k]
                guard d >= UInt8(ascii: "0") && d <= UInt8(ascii: "9") else { throw Failure(offset: k) }
                n = n * 10 + Int64(d - 48)
                k += 1
            }
            return .int(negative ? -n : n)
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: p[start..<i]), as: UTF8.self)
        if isInteger {
            if let n = Int64(text) { return .int(n) }
            return .int(p[start] == UInt8(ascii: "-") ? .min : .max)
        }
        guard let d = Double(text) else { throw Failure(offset: start) }
        return .double(d)
    }

    /// A string's bytes, escapes resolved (`\uXXXX` pairs as one UTF-8 character).
    private mutating func string() throws -> [UInt8] {
        guard peek == UInt8(ascii: "\"") else { throw Failure(offset: i) }
        i += 1
        let start = i
        // The common case: no escapes, the bytes as they are.
        while i < p.count, p[i] != UInt8(ascii: "\""), p[i] != UInt8(ascii: "\\") { i += 1 }
        guard i < p.count else { throw Failure(offset: i) }
        var bytes = Array(UnsafeRawBufferPointer(rebasing: p[start..<i]))
        while true {
            guard i < p.count else { throw Failure(offset: i) }
            let c = p[i]
            i += 1
            if c == UInt8(ascii: "\"") { return bytes }
            guard c == UInt8(ascii: "\\") else {
                bytes.append(c)
                continue
            }
            guard i < p.count else { throw Failure(offset: i) }
            let e = p[i]
            i += 1
            switch e {
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar), i + 6 <= p.count, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                }
                let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                bytes += Array(String(Character(u)).utf8)
            default: bytes.append(e)
            }
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= p.count else { throw Failure(offset: i) }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = p[i]
            i += 1
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = v << 4 | UInt32(c - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = v << 4 | UInt32(c - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = v << 4 | UInt32(c - 55)
            default: throw Failure(offset: i - 1)
            }
        }
        return v
    }
}
