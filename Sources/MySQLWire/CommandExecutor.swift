/// What runs the commands of one connection. The wire module knows no SQL: it hands over
/// queries and database changes and frames whatever reply comes back.
///
/// `execute` may block or take long, so implementations run it off the event loop and call
/// `completion` from wherever they like, exactly once per command.
public protocol MySQLCommandExecutor: AnyObject, Sendable {
    /// The client logged in (user, database, attributes); returns the session status.
    func loggedIn(_ login: MySQLHandshakeResponse) -> MySQLStatusFlags
    /// Runs `.query`, `.initDB` or `.resetConnection`.
    func execute(_ command: MySQLCommand, completion: @escaping @Sendable (MySQLReply) -> Void)
    /// The connection is gone; drop whatever it held (an open transaction, say).
    func connectionClosed()
}
