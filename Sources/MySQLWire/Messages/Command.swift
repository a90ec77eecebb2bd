import NIOCore

/// A command-phase packet from the client.
public enum MySQLCommand: Equatable, Sendable {
    case quit
    case initDB(String)
    case query(String)
    case fieldList(table: String)
    case ping
    case statistics
    case prepare(String)
    /// COM_STMT_CLOSE expects no answer, whatever the statement id.
    case closeStatement
    case setOption(UInt16)
    case resetConnection
    /// Anything else: answered with "unknown command".
    case unsupported(code: UInt8)

    public static func decode(_ buffer: ByteBuffer) -> MySQLCommand? {
        var b = buffer
        guard let code = b.readInteger(as: UInt8.self) else { return nil }
        let rest = { String(decoding: b.readableBytesView, as: UTF8.self) }
        switch code {
        case 0x01: return .quit
        case 0x02: return .initDB(rest())
        case 0x03: return .query(rest())
        case 0x04:
            return .fieldList(table: b.readNullTerminatedString() ?? rest())
        case 0x09: return .statistics
        case 0x0E: return .ping
        case 0x16: return .prepare(rest())
        case 0x19: return .closeStatement
        case 0x1B: return .setOption(b.readInteger(endianness: .little, as: UInt16.self) ?? 0)
        case 0x1F: return .resetConnection
        default: return .unsupported(code: code)
        }
    }

    /// The client side of the same packet, for tests playing the peer.
    public func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .quit: buffer.writeInteger(UInt8(0x01))
        case .initDB(let db): buffer.writeInteger(UInt8(0x02)); buffer.writeString(db)
        case .query(let q): buffer.writeInteger(UInt8(0x03)); buffer.writeString(q)
        case .fieldList(let t): buffer.writeInteger(UInt8(0x04)); buffer.writeNullTerminatedString(t)
        case .statistics: buffer.writeInteger(UInt8(0x09))
        case .ping: buffer.writeInteger(UInt8(0x0E))
        case .prepare(let q): buffer.writeInteger(UInt8(0x16)); buffer.writeString(q)
        case .closeStatement: buffer.writeInteger(UInt8(0x19)); buffer.writeInteger(UInt32(1), endianness: .little)
        case .setOption(let o): buffer.writeInteger(UInt8(0x1B)); buffer.writeInteger(o, endianness: .little)
        case .resetConnection: buffer.writeInteger(UInt8(0x1F))
        case .unsupported(let c): buffer.writeInteger(c)
        }
    }
}
