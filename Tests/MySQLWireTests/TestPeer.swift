import NIOCore

@testable import MySQLWire

/// The client's view of what the server wrote, decoded by a minimal reverse coder so tests
/// can assert on messages rather than bytes.
enum ServerMessage: Equatable {
    case handshake(version: String, connectionID: UInt32, capabilities: UInt32, scramble: [UInt8], plugin: String)
    case ok(affected: UInt64, status: UInt16)
    case error(code: UInt16, sqlState: String, message: String)
    case eof(status: UInt16)
    case authSwitch(plugin: String, data: [UInt8])
    case resultSet(columns: [(name: String, type: UInt8, flags: UInt16)], rows: [[String?]], status: UInt16)

    static func == (a: ServerMessage, b: ServerMessage) -> Bool { "\(a)" == "\(b)" }
}

struct TestPeer {
    var packets: [MySQLPacket] = []

    /// Splits written bytes into packets (joining 16 MiB frames) and checks sequence ids run on.
    mutating func feed(_ bytes: ByteBuffer) throws {
        var b = bytes
        let decoder = MySQLPacketDecoder(maxPacketSize: 1 << 30)
        while let p = try decoder.readPacket(&b) { packets.append(p) }
        precondition(b.readableBytes == 0, "server wrote a partial packet")
    }

    /// Reads the next message; result sets consume all their packets.
    mutating func next(afterHandshake: Bool = true) -> ServerMessage? {
        guard !packets.isEmpty else { return nil }
        var p = packets.removeFirst().payload
        let first = p.getInteger(at: p.readerIndex, as: UInt8.self)!
        switch first {
        case 0x0A where !afterHandshake:
            p.moveReaderIndex(forwardBy: 1)
            let version = p.readNullTerminatedString()!
            let id = p.readInteger(endianness: .little, as: UInt32.self)!
            var scramble = p.readBytes(length: 8)!
            p.moveReaderIndex(forwardBy: 1)
            let low = p.readInteger(endianness: .little, as: UInt16.self)!
            p.moveReaderIndex(forwardBy: 3)
            let high = p.readInteger(endianness: .little, as: UInt16.self)!
            p.moveReaderIndex(forwardBy: 11)
            scramble += p.readBytes(length: 12)!
            p.moveReaderIndex(forwardBy: 1)
            let plugin = p.readNullTerminatedString() ?? ""
            return .handshake(
                version: version, connectionID: id, capabilities: UInt32(high) << 16 | UInt32(low),
                scramble: scramble, plugin: plugin)
        case 0x00:
            p.moveReaderIndex(forwardBy: 1)
            let affected = p.readLengthEncodedInteger()!
            _ = p.readLengthEncodedInteger()
            return .ok(affected: affected, status: p.readInteger(endianness: .little, as: UInt16.self)!)
        case 0xFF:
            p.moveReaderIndex(forwardBy: 1)
            let code = p.readInteger(endianness: .little, as: UInt16.self)!
            p.moveReaderIndex(forwardBy: 1)
            let state = p.readString(length: 5)!
            return .error(code: code, sqlState: state, message: p.readString(length: p.readableBytes)!)
        case 0xFE where p.readableBytes < 9:
            p.moveReaderIndex(forwardBy: 3)
            return .eof(status: p.readInteger(endianness: .little, as: UInt16.self)!)
        case 0xFE:
            p.moveReaderIndex(forwardBy: 1)
            let plugin = p.readNullTerminatedString()!
            return .authSwitch(plugin: plugin, data: Array(p.readBytes(length: p.readableBytes - 1)!))
        default:
            let count = Int(p.readLengthEncodedInteger()!)
            var columns: [(String, UInt8, UInt16)] = []
            for _ in 0..<count {
                var c = packets.removeFirst().payload
                for _ in 0..<4 { _ = c.readLengthEncodedBytes() }
                let name = String(decoding: c.readLengthEncodedBytes()!, as: UTF8.self)
                _ = c.readLengthEncodedBytes()
                c.moveReaderIndex(forwardBy: 1 + 2 + 4)
                let type = c.readInteger(as: UInt8.self)!
                let flags = c.readInteger(endianness: .little, as: UInt16.self)!
                columns.append((name, type, flags))
            }
            _ = packets.removeFirst()  // EOF after the definitions
            var rows: [[String?]] = []
            while true {
                var r = packets.removeFirst().payload
                if r.getInteger(at: r.readerIndex, as: UInt8.self) == 0xFE, r.readableBytes < 9 {
                    r.moveReaderIndex(forwardBy: 3)
                    return .resultSet(columns: columns, rows: rows, status: r.readInteger(endianness: .little, as: UInt16.self)!)
                }
                var row: [String?] = []
                while r.readableBytes > 0 {
                    if r.getInteger(at: r.readerIndex, as: UInt8.self) == 0xFB {
                        r.moveReaderIndex(forwardBy: 1)
                        row.append(nil)
                    } else {
                        row.append(String(decoding: r.readLengthEncodedBytes()!, as: UTF8.self))
                    }
                }
                rows.append(row)
            }
        }
    }
}

extension ByteBuffer {
    /// One framed client packet.
    static func packet(_ sequenceID: UInt8, _ body: (inout ByteBuffer) -> Void) -> ByteBuffer {
        var encoder = MySQLMessageEncoder(startingAt: sequenceID)
        encoder.packet(body)
        return encoder.buffer
    }
}
