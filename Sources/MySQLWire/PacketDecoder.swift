import NIOCore

/// Cuts the byte stream into packets, joining frames of 16 MiB - 1 bytes with the frames that
/// continue them, and refusing a packet larger than the configured limit before buffering it.
public struct MySQLPacketDecoder: ByteToMessageDecoder {
    public typealias InboundOut = MySQLPacket

    public enum DecodingError: Error, Equatable, Sendable {
        /// A packet announced more bytes than `maxPacketSize`.
        case packetTooLarge(size: Int, limit: Int)
        /// The connection ended in the middle of a packet.
        case truncated(bufferedBytes: Int)
    }

    public let maxPacketSize: Int
    /// The client's first packet is its login, a few hundred bytes; anything announcing more
    /// is not a MySQL client (an HTTP request reads as a 5 MB packet), so it is refused at once
    /// instead of being waited for.
    public let maxLoginPacketSize: Int
    private var packetsRead = 0

    public init(maxPacketSize: Int = 64 << 20, maxLoginPacketSize: Int = 64 << 10) {
        self.maxPacketSize = maxPacketSize
        self.maxLoginPacketSize = min(maxLoginPacketSize, maxPacketSize)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let packet = try readPacket(&buffer, limit: packetsRead == 0 ? maxLoginPacketSize : maxPacketSize) else {
            return .needMoreData
        }
        packetsRead += 1
        context.fireChannelRead(Self.wrapInboundOut(packet))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while case .continue = try decode(context: context, buffer: &buffer) {}
        if buffer.readableBytes > 0 {
            let n = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: n)
            throw DecodingError.truncated(bufferedBytes: n)
        }
        return .needMoreData
    }

    /// Reads one whole packet when all its frames have arrived; leaves the buffer untouched
    /// otherwise.
    public func readPacket(_ buffer: inout ByteBuffer, limit: Int? = nil) throws -> MySQLPacket? {
        let maxPacketSize = limit ?? self.maxPacketSize
        // First pass: find where the packet ends without copying anything.
        var offset = buffer.readerIndex
        var total = 0
        var frames = 0
        while true {
            guard let low = buffer.getInteger(at: offset, endianness: .little, as: UInt16.self),
                let high = buffer.getInteger(at: offset + 2, as: UInt8.self)
            else { return nil }
            let length = Int(low) | Int(high) << 16
            total += length
            if total > maxPacketSize { throw DecodingError.packetTooLarge(size: total, limit: maxPacketSize) }
            guard buffer.readableBytes >= offset - buffer.readerIndex + 4 + length else { return nil }
            offset += 4 + length
            frames += 1
            if length < MySQLPacket.maxFramePayload { break }
        }
        if frames == 1 {
            let header = buffer.readSlice(length: 4)!
            let payload = buffer.readSlice(length: total)!
            return MySQLPacket(sequenceID: header.getInteger(at: header.readerIndex + 3)!, payload: payload)
        }
        var payload = ByteBufferAllocator().buffer(capacity: total)
        var sequenceID: UInt8 = 0
        for _ in 0..<frames {
            let header = buffer.readSlice(length: 4)!
            let length =
                Int(header.getInteger(at: header.readerIndex, endianness: .little, as: UInt16.self)!)
                | Int(header.getInteger(at: header.readerIndex + 2, as: UInt8.self)!) << 16
            sequenceID = header.getInteger(at: header.readerIndex + 3)!
            var chunk = buffer.readSlice(length: length)!
            payload.writeBuffer(&chunk)
        }
        return MySQLPacket(sequenceID: sequenceID, payload: payload)
    }
}
