import NIOCore

/// The server's greeting (Protocol::HandshakeV10), the first packet on every connection.
public struct MySQLHandshake: Equatable, Sendable {
    public var serverVersion: String
    public var connectionID: UInt32
    /// 20 bytes the client hashes its password with; never NUL, so it survives the
    /// NUL-terminated second part.
    public var scramble: [UInt8]
    public var capabilities: MySQLCapabilities
    /// utf8mb3_general_ci, as Sphinx announces.
    public var characterSet: UInt8 = 33
    public var status: MySQLStatusFlags = .autocommit
    public var authPlugin = MySQLNativePassword.pluginName

    public init(serverVersion: String, connectionID: UInt32, scramble: [UInt8], capabilities: MySQLCapabilities = .server) {
        precondition(scramble.count == 20, "a native-password scramble has 20 bytes")
        self.serverVersion = serverVersion
        self.connectionID = connectionID
        self.scramble = scramble
        self.capabilities = capabilities
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(10))
        buffer.writeNullTerminatedString(serverVersion)
        buffer.writeInteger(connectionID, endianness: .little)
        buffer.writeBytes(scramble[0..<8])
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt16(capabilities.rawValue & 0xFFFF), endianness: .little)
        buffer.writeInteger(characterSet)
        buffer.writeInteger(status.rawValue, endianness: .little)
        buffer.writeInteger(UInt16(capabilities.rawValue >> 16), endianness: .little)
        buffer.writeInteger(UInt8(scramble.count + 1))
        buffer.writeRepeatingByte(0, count: 10)
        buffer.writeBytes(scramble[8...])
        buffer.writeInteger(UInt8(0))
        if capabilities.contains(.pluginAuth) { buffer.writeNullTerminatedString(authPlugin) }
    }

    /// A fresh scramble: random printable bytes.
    public static func makeScramble() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<20).map { _ in UInt8.random(in: 0x21...0x7E, using: &generator) }
    }
}
