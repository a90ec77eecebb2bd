import NIOCore

/// The client's login (Protocol::HandshakeResponse41).
public struct MySQLHandshakeResponse: Equatable, Sendable {
    public var capabilities: MySQLCapabilities
    public var maxPacketSize: UInt32
    public var characterSet: UInt8
    public var user: String
    public var authResponse: [UInt8]
    public var database: String?
    public var authPlugin: String?
    public var attributes: [String: String]

    public init(
        capabilities: MySQLCapabilities, maxPacketSize: UInt32 = 1 << 24, characterSet: UInt8 = 33, user: String,
        authResponse: [UInt8], database: String? = nil, authPlugin: String? = nil, attributes: [String: String] = [:]
    ) {
        self.capabilities = capabilities
        self.maxPacketSize = maxPacketSize
        self.characterSet = characterSet
        self.user = user
        self.authResponse = authResponse
        self.database = database
        self.authPlugin = authPlugin
        self.attributes = attributes
    }

    public enum DecodingError: Error, Equatable, Sendable {
        /// The client only speaks the pre-4.1 protocol.
        case protocolTooOld
        /// The client asked to switch to TLS, which alco does not offer.
        case sslRequested
        case truncated(field: String)
    }

    public static func decode(_ buffer: ByteBuffer) throws(DecodingError) -> MySQLHandshakeResponse {
        var b = buffer
        guard let rawCapabilities = b.readInteger(endianness: .little, as: UInt32.self) else { throw .truncated(field: "capabilities") }
        let capabilities = MySQLCapabilities(rawValue: rawCapabilities)
        guard capabilities.contains(.protocol41) else { throw .protocolTooOld }
        guard let maxPacket = b.readInteger(endianness: .little, as: UInt32.self),
            let charset = b.readInteger(as: UInt8.self), b.readableBytes >= 23
        else { throw .truncated(field: "header") }
        b.moveReaderIndex(forwardBy: 23)
        if capabilities.contains(.ssl) { throw .sslRequested }
        guard let user = b.readNullTerminatedString() else { throw .truncated(field: "user") }
        let auth: [UInt8]
        if capabilities.contains(.pluginAuthLengthEncodedData) {
            guard let a = b.readLengthEncodedBytes() else { throw .truncated(field: "auth response") }
            auth = a
        } else if capabilities.contains(.secureConnection) {
            guard let n = b.readInteger(as: UInt8.self), let a = b.readBytes(length: Int(n)) else {
                throw .truncated(field: "auth response")
            }
            auth = a
        } else {
            guard let a = b.readNullTerminatedBytes() else { throw .truncated(field: "auth response") }
            auth = a
        }
        var database: String?
        if capabilities.contains(.connectWithDB), b.readableBytes > 0 {
            guard let d = b.readNullTerminatedString() else { throw .truncated(field: "database") }
            database = d.isEmpty ? nil : d
        }
        var plugin: String?
        if capabilities.contains(.pluginAuth), b.readableBytes > 0 {
            // Some clients omit the trailing NUL when the plugin name ends the packet.
            plugin = b.readNullTerminatedString() ?? b.readString(length: b.readableBytes)
        }
        var attributes: [String: String] = [:]
        if capabilities.contains(.connectAttributes), b.readableBytes > 0 {
            guard let length = b.readLengthEncodedInteger(), length <= UInt64(b.readableBytes),
                var slice = b.readSlice(length: Int(length))
            else { throw .truncated(field: "connection attributes") }
            while slice.readableBytes > 0 {
                guard let k = slice.readLengthEncodedBytes(), let v = slice.readLengthEncodedBytes() else {
                    throw .truncated(field: "connection attributes")
                }
                attributes[String(decoding: k, as: UTF8.self)] = String(decoding: v, as: UTF8.self)
            }
        }
        return MySQLHandshakeResponse(
            capabilities: capabilities, maxPacketSize: maxPacket, characterSet: charset, user: user,
            authResponse: auth, database: database, authPlugin: plugin, attributes: attributes)
    }

    /// The client side of the same packet; tests use it to play the peer.
    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(capabilities.rawValue, endianness: .little)
        buffer.writeInteger(maxPacketSize, endianness: .little)
        buffer.writeInteger(characterSet)
        buffer.writeRepeatingByte(0, count: 23)
        buffer.writeNullTerminatedString(user)
        if capabilities.contains(.pluginAuthLengthEncodedData) {
            buffer.writeLengthEncodedBytes(authResponse)
        } else {
            buffer.writeInteger(UInt8(authResponse.count))
            buffer.writeBytes(authResponse)
        }
        if capabilities.contains(.connectWithDB) { buffer.writeNullTerminatedString(database ?? "") }
        if capabilities.contains(.pluginAuth) { buffer.writeNullTerminatedString(authPlugin ?? "") }
    }
}
