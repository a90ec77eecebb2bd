/// A strict JSON parser over UTF-8 bytes that reports the byte offset of the first error.
public struct JSONParseError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let offset: Int
    public var description: String { "\(message) at byte \(offset)" }
}

public struct JSONParser {
    private let p: UnsafeRawBufferPointer
    private var i = 0
    private var depth = 0
    static let maxDepth = 200

    private init(_ p: UnsafeRawBufferPointer) { self.p = p }

    public static func parse(_ text: String) throws -> JSONValue {
        var text = text
        return try text.withUTF8 { try parse(UnsafeRawBufferPointer($0)) }
    }

    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try bytes.withUnsafeBytes { try parse($0) }
    }

    public static func parse(_ buffer: UnsafeRawBufferPointer) throws -> JSONValue {
        var parser = JSONParser(buffer)
        parser.skipSpace()
        let v = try parser.value()
        parser.skipSpace()
        if parser.i != buffer.count { throw parser.fail("unexpected data after JSON value") }
        return v
    }

    private func fail(_ message: String) -> JSONParseError { JSONParseError(message: message, offset: i) }

    private mutating func skipSpace() {
        while i < p.count {
            switch p[i] {
            case 0x20, 0x09, 0x0a, 0x0d: i += 1
            default: return
            }
        }
    }

    private mutating func value() throws -> JSONValue {
        guard i < p.count else { throw fail("unexpected end of JSON") }
        switch p[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected character '\(Character(Unicode.Scalar(p[i])))'")
        }
    }

    private mutating func literal(_ word: String) throws {
        let w = Array(word.utf8)
        guard i + w.count <= p.count else { throw fail("unexpected end of JSON") }
        for k in 0..<w.count where p[i + k] != w[k] { throw fail("invalid literal") }
        i += w.count
    }

    private mutating func number() throws -> JSONValue {
        let start = i
        if p[i] == UInt8(ascii: "-") { i += 1 }
        let intStart = i
        while i < p.count, p[i] >= 0x30, p[i] <= 0x39 { i += 1 }
        if i == intStart { throw fail("invalid number") }
        if p[intStart] == 0x30 && i - intStart > 1 { throw fail("leading zero in number") }
        if i < p.count, p[i] == UInt8(ascii: ".") {
            i += 1
            let f = i
            while i < p.count, p[i] >= 0x30, p[i] <= 0x39 { i += 1 }
            if i == f { throw fail("invalid number") }
        }
        if i < p.count, p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") {
            i += 1
            if i < p.count, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { i += 1 }
            let e = i
            while i < p.count, p[i] >= 0x30, p[i] <= 0x39 { i += 1 }
            if i == e { throw fail("invalid number exponent") }
        }
        return .number(text: String(decoding: UnsafeRawBufferPointer(rebasing: p[start..<i]), as: UTF8.self))
    }

    /// Strings are decoded by the scanner's decoder, so both parsers agree on escapes.
    private mutating func string() throws -> String {
        var walker = JSONScanner.Walker(p: p)
        walker.i = i
        try walker.string()
        i = walker.i
        return String(decoding: walker.scratch, as: UTF8.self)
    }

    private mutating func array() throws -> JSONValue {
        depth += 1
        if depth > JSONParser.maxDepth { throw fail("JSON nested too deeply") }
        defer { depth -= 1 }
        i += 1
        var items: [JSONValue] = []
        skipSpace()
        if i < p.count, p[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try value())
            skipSpace()
            guard i < p.count else { throw fail("unterminated array") }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw fail("expected ',' or ']'")
        }
    }

    private mutating func object() throws -> JSONValue {
        depth += 1
        if depth > JSONParser.maxDepth { throw fail("JSON nested too deeply") }
        defer { depth -= 1 }
        i += 1
        var members: [(key: String, value: JSONValue)] = []
        skipSpace()
        if i < p.count, p[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
        while true {
            skipSpace()
            guard i < p.count, p[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try string()
            skipSpace()
            guard i < p.count, p[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            i += 1
            skipSpace()
            members.append((key, try value()))
            skipSpace()
            guard i < p.count else { throw fail("unterminated object") }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            throw fail("expected ',' or '}'")
        }
    }
}
