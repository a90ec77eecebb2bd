import NIOCore

/// Frames outgoing messages into one buffer, numbering the packets and splitting payloads
/// of 16 MiB or more into several frames as the protocol requires.
///
/// One method per outgoing message; a whole reply is built in one buffer and written with
/// one flush.
public struct MySQLMessageEncoder {
    public private(set) var buffer: ByteBuffer
    /// The sequence id the next packet gets.
    public private(set) var sequenceID: UInt8

    public init(allocator: ByteBufferAllocator = ByteBufferAllocator(), startingAt sequenceID: UInt8) {
        self.buffer = allocator.buffer(capacity: 256)
        self.sequenceID = sequenceID
    }

    /// Frames whatever `body` writes as one packet. The payload is written in place after a
    /// header filled in once its length is known; only a payload of a whole frame or more
    /// is moved, to be split.
    public mutating func packet(_ body: (inout ByteBuffer) -> Void) {
        let header = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        let start = buffer.writerIndex
        body(&buffer)
        let n = buffer.writerIndex - start
        if n < MySQLPacket.maxFramePayload {
            buffer.setInteger(UInt32(n) | UInt32(sequenceID) << 24, at: header, endianness: .little)
            sequenceID &+= 1
        } else {
            let payload = buffer.getSlice(at: start, length: n)!
            buffer.moveWriterIndex(to: header)
            appendFrames(payload)
        }
    }

    private mutating func appendFrames(_ payload: ByteBuffer) {
        var rest = payload
        while true {
            let n = min(rest.readableBytes, MySQLPacket.maxFramePayload)
            buffer.writeInteger(UInt16(n & 0xFFFF), endianness: .little)
            buffer.writeInteger(UInt8(n >> 16))
            buffer.writeInteger(sequenceID)
            sequenceID &+= 1
            var chunk = rest.readSlice(length: n)!
            buffer.writeBuffer(&chunk)
            // A full frame means "more follows", so a payload of exactly k × 16 MiB - 1 ends
            // with an empty frame.
            if n < MySQLPacket.maxFramePayload { break }
        }
    }

    public mutating func handshake(_ h: MySQLHandshake) { packet { h.encode(into: &$0) } }

    public mutating func authSwitchRequest(plugin: String, data: [UInt8]) {
        packet {
            $0.writeInteger(UInt8(0xFE))
            $0.writeNullTerminatedString(plugin)
            $0.writeBytes(data)
            $0.writeInteger(UInt8(0))
        }
    }

    public mutating func ok(
        affectedRows: UInt64 = 0, lastInsertID: UInt64 = 0, status: MySQLStatusFlags, warnings: UInt16 = 0,
        info: String = ""
    ) {
        packet {
            $0.writeInteger(UInt8(0x00))
            $0.writeLengthEncodedInteger(affectedRows)
            $0.writeLengthEncodedInteger(lastInsertID)
            $0.writeInteger(status.rawValue, endianness: .little)
            $0.writeInteger(warnings, endianness: .little)
            $0.writeString(info)
        }
    }

    public mutating func error(_ e: MySQLServerError) {
        packet {
            $0.writeInteger(UInt8(0xFF))
            $0.writeInteger(e.code, endianness: .little)
            $0.writeString("#")
            $0.writeString(e.sqlState)
            $0.writeString(e.message)
        }
    }

    public mutating func eof(status: MySQLStatusFlags, warnings: UInt16 = 0) {
        packet {
            $0.writeInteger(UInt8(0xFE))
            $0.writeInteger(warnings, endianness: .little)
            $0.writeInteger(status.rawValue, endianness: .little)
        }
    }

    /// A text result set: column count, definitions, EOF, rows, EOF.
    public mutating func resultSet(columns: [MySQLColumn], rows: [[String?]], status: MySQLStatusFlags) {
        packet { $0.writeLengthEncodedInteger(UInt64(columns.count)) }
        for c in columns { packet { c.encode(into: &$0) } }
        eof(status: status)
        for row in rows {
            packet {
                for cell in row {
                    if let cell { $0.writeLengthEncodedString(cell) } else { $0.writeInteger(UInt8(0xFB)) }
                }
            }
        }
        eof(status: status)
    }

    /// Every response of a reply; all but the last say that more results follow.
    public mutating func reply(_ reply: MySQLReply) {
        for (k, response) in reply.responses.enumerated() {
            var status = reply.status
            if k < reply.responses.count - 1 { status.insert(.moreResultsExist) }
            switch response {
            case .ok(let affected, let lastID, let warnings, let info):
                ok(affectedRows: affected, lastInsertID: lastID, status: status, warnings: warnings, info: info)
            case .error(let e):
                error(e)
            case .resultSet(let columns, let rows):
                resultSet(columns: columns, rows: rows, status: status)
            }
        }
    }
}
