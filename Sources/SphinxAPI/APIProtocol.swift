/// Numbers of the SphinxAPI binary protocol (Sphinx 2.2.11's searchd, port 9312): commands,
/// the command versions this server speaks, reply statuses and attribute types. Every
/// integer on the wire is big-endian; a string is a u32 length and its bytes.
public enum APICommand: UInt16, Sendable {
    case search = 0
    case excerpt = 1
    case update = 2
    case keywords = 3
    case persist = 4
    case status = 5
    case flushAttributes = 7
    case sphinxQL = 8
    case ping = 9
    case delete = 10
    case userVariable = 11

    /// The version of each command this server answers with (Sphinx 2.2.11's).
    public var serverVersion: UInt16 {
        switch self {
        case .search: return 0x11F
        case .excerpt: return 0x104
        case .update: return 0x103
        case .keywords, .flushAttributes, .sphinxQL, .ping, .userVariable, .persist, .delete: return 0x100
        case .status: return 0x101
        }
    }
}

/// What a reply (and each query of a search batch) says about itself.
public enum APIStatus: UInt32, Sendable {
    case ok = 0
    case error = 1
    /// A temporary failure: the master may try another mirror.
    case retry = 2
    case warning = 3
}

/// Attribute types as a result schema names them (Sphinx's `ESphAttr`).
public enum APIAttributeType: UInt32, Sendable {
    case integer = 1
    case timestamp = 2
    case bool = 4
    case float = 5
    case bigint = 6
    case string = 7
    /// A computed string (a snippet, a JSON value as text for ordering).
    case stringPointer = 10
    case tokenCount = 11
    /// A whole JSON document, packed (`PackedJSON`) between searchd's.
    case json = 12
    /// One value inside a JSON document: its packed type byte and bytes.
    case jsonField = 1002
}

/// Protocol-wide constants.
public enum APIProtocol {
    /// The handshake both sides send first: protocol version 1.
    public static let version: UInt32 = 1
    /// The highest master-agent extension this agent reads (2.2.11's `VER_MASTER`).
    public static let masterVersion: UInt32 = 14
    /// The oldest search command version understood: 1.27 put the query flags first.
    public static let oldestSearchVersion: UInt16 = 0x11B
}
