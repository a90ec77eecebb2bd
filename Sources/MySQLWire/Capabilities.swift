/// Capability flags exchanged in the handshake.
public struct MySQLCapabilities: OptionSet, Sendable, Hashable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let longPassword = Self(rawValue: 1 << 0)
    public static let foundRows = Self(rawValue: 1 << 1)
    public static let longFlag = Self(rawValue: 1 << 2)
    public static let connectWithDB = Self(rawValue: 1 << 3)
    public static let noSchema = Self(rawValue: 1 << 4)
    public static let compress = Self(rawValue: 1 << 5)
    public static let localFiles = Self(rawValue: 1 << 7)
    public static let ignoreSpace = Self(rawValue: 1 << 8)
    public static let protocol41 = Self(rawValue: 1 << 9)
    public static let interactive = Self(rawValue: 1 << 10)
    public static let ssl = Self(rawValue: 1 << 11)
    public static let transactions = Self(rawValue: 1 << 13)
    public static let secureConnection = Self(rawValue: 1 << 15)
    public static let multiStatements = Self(rawValue: 1 << 16)
    public static let multiResults = Self(rawValue: 1 << 17)
    public static let psMultiResults = Self(rawValue: 1 << 18)
    public static let pluginAuth = Self(rawValue: 1 << 19)
    public static let connectAttributes = Self(rawValue: 1 << 20)
    public static let pluginAuthLengthEncodedData = Self(rawValue: 1 << 21)
    public static let deprecateEOF = Self(rawValue: 1 << 24)

    /// What alco offers: 4.1 protocol, native password through the plugin mechanism, several
    /// statements per query (Sphinx accepted `SELECT …; SHOW META` without saying so).
    /// No SSL, compression or EOF deprecation.
    public static let server: Self = [
        .longPassword, .foundRows, .longFlag, .connectWithDB, .noSchema, .ignoreSpace, .protocol41,
        .interactive, .transactions, .secureConnection, .multiStatements, .multiResults, .psMultiResults,
        .pluginAuth, .connectAttributes, .pluginAuthLengthEncodedData,
    ]
}

/// Server status flags sent in OK and EOF packets.
public struct MySQLStatusFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let inTransaction = Self(rawValue: 0x0001)
    public static let autocommit = Self(rawValue: 0x0002)
    public static let moreResultsExist = Self(rawValue: 0x0008)
}
