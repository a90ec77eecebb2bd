import NIOCore

/// Reads a request body field by field; every read is checked against what is left, so a
/// truncated or lying request fails with `APIDecodingError` instead of reading past its end.
public struct APIReader {
    private var buffer: ByteBuffer

    public init(_ buffer: ByteBuffer) { self.buffer = buffer }

    public var remaining: Int { buffer.readableBytes }

    public mutating func readUInt32() throws -> UInt32 {
        guard let v = buffer.readInteger(endianness: .big, as: UInt32.self) else { throw APIDecodingError.truncated }
        return v
    }

    public mutating func readInt32() throws -> Int32 { Int32(bitPattern: try readUInt32()) }

    public mutating func readUInt64() throws -> UInt64 {
        guard let v = buffer.readInteger(endianness: .big, as: UInt64.self) else { throw APIDecodingError.truncated }
        return v
    }

    public mutating func readUInt8() throws -> UInt8 {
        guard let v = buffer.readInteger(as: UInt8.self) else { throw APIDecodingError.truncated }
        return v
    }

    public mutating func readFloat() throws -> Float { Float(bitPattern: try readUInt32()) }

    /// A count the request announces, refused above `limit` before anything is allocated for it.
    public mutating func readCount(limit: Int, what: String) throws -> Int {
        let n = try readInt32()
        guard n >= 0, Int(n) <= limit else { throw APIDecodingError.outOfRange("\(what) \(n) (should be in 0..\(limit) range)") }
        return Int(n)
    }

    public mutating func readBytes() throws -> [UInt8] {
        let n = try readUInt32()
        guard Int(n) <= buffer.readableBytes, let bytes = buffer.readBytes(length: Int(n)) else {
            throw APIDecodingError.truncated
        }
        return bytes
    }

    /// A string; bytes that are not UTF-8 are replaced (names and queries are text).
    public mutating func readString() throws -> String {
        String(decoding: try readBytes(), as: UTF8.self)
    }
}

/// Why a request could not be read; the message is what the client is told.
public enum APIDecodingError: Error, Equatable, CustomStringConvertible, Sendable {
    case truncated
    case outOfRange(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .truncated: return "invalid or truncated request"
        case .outOfRange(let s): return "invalid \(s)"
        case .unsupported(let s): return s
        }
    }
}
