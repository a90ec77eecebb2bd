import NIOCore

/// One unit of what a client sends: its 4-byte protocol version first, then requests, each an
/// 8-byte header (command, command version, body length) and its body.
public enum APIFrame: Equatable, Sendable {
    case handshake(version: UInt32)
    case request(command: UInt16, version: UInt16, body: ByteBuffer)
    /// A header announcing a body past the size limit (or negative): answered with an error,
    /// then the connection ends, as searchd does (the stream can no longer be framed).
    case oversized(command: UInt16, length: Int32)
}

/// Cuts the byte stream into `APIFrame`s; a body longer than `maxRequestSize` is refused
/// from its header, before any of it is buffered.
public struct APIFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = APIFrame

    /// searchd's `max_packet_size` default.
    public static let defaultMaxRequestSize = 8 << 20

    public let maxRequestSize: Int
    private var sawHandshake = false
    private var refused = false

    public init(maxRequestSize: Int = APIFrameDecoder.defaultMaxRequestSize) {
        self.maxRequestSize = maxRequestSize
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = next(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while case .continue = try decode(context: context, buffer: &buffer) {}
        // A partial request at the end of the stream has nobody to answer: dropped.
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return .needMoreData
    }

    /// The next whole frame, or nil until one has arrived.
    public mutating func next(_ buffer: inout ByteBuffer) -> APIFrame? {
        if refused {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            return nil
        }
        if !sawHandshake {
            guard let version = buffer.readInteger(endianness: .big, as: UInt32.self) else { return nil }
            sawHandshake = true
            return .handshake(version: version)
        }
        let start = buffer.readerIndex
        guard let command = buffer.getInteger(at: start, endianness: .big, as: UInt16.self),
            let version = buffer.getInteger(at: start + 2, endianness: .big, as: UInt16.self),
            let length = buffer.getInteger(at: start + 4, endianness: .big, as: Int32.self)
        else { return nil }
        if length < 0 || Int(length) > maxRequestSize {
            refused = true
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            return .oversized(command: command, length: length)
        }
        guard buffer.readableBytes >= 8 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 8)
        let body = buffer.readSlice(length: Int(length))!
        return .request(command: command, version: version, body: body)
    }
}
