import NIOCore

/// Appends protocol fields to a buffer, big-endian, strings with their u32 length.
public struct APIWriter {
    public var buffer: ByteBuffer

    public init(_ buffer: ByteBuffer = ByteBuffer()) { self.buffer = buffer }

    public mutating func write(_ v: UInt32) { buffer.writeInteger(v, endianness: .big) }
    public mutating func write(_ v: Int32) { buffer.writeInteger(v, endianness: .big) }
    public mutating func write(_ v: UInt64) { buffer.writeInteger(v, endianness: .big) }
    public mutating func write(_ v: UInt16) { buffer.writeInteger(v, endianness: .big) }
    public mutating func write(byte v: UInt8) { buffer.writeInteger(v) }
    public mutating func write(_ v: Float) { write(v.bitPattern) }

    /// A count or length, clamped to what a u32 holds (lengths here never come near it).
    public mutating func write(count n: Int) { write(UInt32(clamping: n)) }

    public mutating func write(bytes: [UInt8]) {
        write(count: bytes.count)
        buffer.writeBytes(bytes)
    }

    public mutating func write(_ s: String) {
        write(count: s.utf8.count)
        buffer.writeString(s)
    }

    /// A reply's 8-byte header and its body.
    public static func reply(status: APIStatus, version: UInt16, body: ByteBuffer) -> ByteBuffer {
        var out = APIWriter(ByteBuffer())
        out.buffer.reserveCapacity(8 + body.readableBytes)
        out.write(UInt16(truncatingIfNeeded: status.rawValue))
        out.write(version)
        out.write(count: body.readableBytes)
        var b = body
        out.buffer.writeBuffer(&b)
        return out.buffer
    }

    /// The error reply Sphinx sends for a request it cannot serve.
    public static func errorReply(_ message: String, version: UInt16 = 0) -> ByteBuffer {
        var body = APIWriter()
        body.write(message)
        return reply(status: .error, version: version, body: body.buffer)
    }
}
