/// What the server answers to one statement of a query.
public enum MySQLResponse: Equatable, Sendable {
    case ok(affectedRows: UInt64, lastInsertID: UInt64 = 0, warnings: UInt16 = 0, info: String = "")
    case error(MySQLServerError)
    /// A text result set; nil cells are SQL NULL.
    case resultSet(columns: [MySQLColumn], rows: [[String?]])
}

/// The answer to a whole command: one response per statement (an error ends the list), and
/// the session's status after it, which OK and EOF packets carry.
public struct MySQLReply: Equatable, Sendable {
    public var responses: [MySQLResponse]
    public var status: MySQLStatusFlags

    public init(_ responses: [MySQLResponse], status: MySQLStatusFlags = .autocommit) {
        self.responses = responses
        self.status = status
    }
}
