/// An error the server reports in an ERR packet.
public struct MySQLServerError: Error, Equatable, Sendable {
    public var code: UInt16
    public var sqlState: String
    public var message: String

    public init(code: UInt16, sqlState: String, message: String) {
        precondition(sqlState.utf8.count == 5, "SQLSTATE has five characters")
        self.code = code
        self.sqlState = sqlState
        self.message = message
    }

    /// Sphinx's answer to almost everything: 1064 / 42000.
    public static func syntax(_ message: String) -> Self { Self(code: 1064, sqlState: "42000", message: message) }
    public static let badHandshake = Self(code: 1043, sqlState: "08S01", message: "Bad handshake")
    public static let packetTooLarge = Self(code: 1153, sqlState: "08S01", message: "Got a packet bigger than 'max_allowed_packet' bytes")
    public static let loginTimeout = Self(code: 1043, sqlState: "08S01", message: "Bad handshake: no login within the time allowed")
    public static let sslUnsupported = Self(code: 1043, sqlState: "08S01", message: "SSL is not supported by this server")
    public static let preparedStatementsUnsupported = Self(
        code: 1295, sqlState: "HY000",
        message: "prepared statements are not supported; send the statement as text (COM_QUERY)")

    public static func unknownCommand(_ code: UInt8) -> Self {
        Self(code: 1047, sqlState: "08S01", message: "Unknown command 0x\(String(code, radix: 16))")
    }

    public static func accessDenied(user: String, usingPassword: Bool) -> Self {
        Self(
            code: 1045, sqlState: "28000",
            message: "Access denied for user '\(user)' (using password: \(usingPassword ? "YES" : "NO"))")
    }
}
