import AlcoIndex
import Dispatch
import MySQLWire
import NIOConcurrencyHelpers
import SphinxQLExecution

/// Runs one connection's commands against its SphinxQL session. Reads run right away on the
/// connection's event loop, within a short budget (`inlineBudgetMilliseconds`): one that
/// turns out longer stops there and runs again on the connection's queue, so a slow query
/// never holds a loop other connections share. Statements that may wait for an fsync go to
/// that queue at once, so a group commit in flight never holds a loop (and the writes of many
/// connections wait for one fsync together). The protocol sends one command at a time per
/// connection; the lock only orders a command against the connection's close.
final class SessionExecutor: MySQLCommandExecutor, @unchecked Sendable {
    // `session` is only touched under `lock`, which is what makes this class Sendable.
    private let session: Session
    private let lock = NIOLock()
    private let writes: DispatchQueue

    /// A read's time on an event loop before it is handed off: ten times a typical search.
    static let inlineBudgetMilliseconds = 20

    /// - Parameter queryTimeoutMilliseconds: the server's bound on any statement (nil: none).
    /// - Parameter statementLog: where the session logs its statements, tagged with this
    ///   connection's id.
    init(catalog: Catalog, connectionID: UInt32, queryTimeoutMilliseconds: Int? = nil, statementLog: StatementLog? = nil) {
        self.session = Session(catalog: catalog)
        session.timeLimits = TimeLimits(server: queryTimeoutMilliseconds)
        if var log = statementLog {
            log.logger[metadataKey: "connection"] = "\(connectionID)"
            session.statementLog = log
        }
        self.writes = DispatchQueue(label: "alco.mysql.connection.\(connectionID).writes")
    }

    private func withSession<T>(_ body: (Session) -> T) -> T {
        lock.withLock { body(session) }
    }

    func loggedIn(_ login: MySQLHandshakeResponse) -> MySQLStatusFlags {
        withSession { session in
            session.user = login.user.isEmpty ? "alco" : login.user
            session.database = login.database
            session.statementLog?.logger[metadataKey: "user"] = "\(session.user)"
            return Self.status(of: session)
        }
    }

    func execute(_ command: MySQLCommand, completion: @escaping @Sendable (MySQLReply) -> Void) {
        if case .query(let text) = command, !Self.mayWaitForDisk(text) {
            if let reply = reply(to: command, inlineBudget: Self.inlineBudgetMilliseconds) {
                completion(reply)
                return
            }
        }
        writes.async { [self] in completion(reply(to: command, inlineBudget: nil)!) }
    }

    /// The reply, or nil when the statement ran out of `inlineBudget` (run it again without).
    private func reply(to command: MySQLCommand, inlineBudget: Int?) -> MySQLReply? {
        withSession { session in
            session.timeLimits.inline = inlineBudget
            defer { session.timeLimits.inline = nil }
            let responses = Self.run(command, on: session)
            if session.needsHandOff { return nil }
            return MySQLReply(responses, status: Self.status(of: session))
        }
    }

    func connectionClosed() {
        // An open transaction dies with its connection, as in MySQL and Sphinx.
        writes.async { [self] in withSession { $0.reset() } }
    }

    private static func run(_ command: MySQLCommand, on session: Session) -> [MySQLResponse] {
        switch command {
        case .query(let text):
            return session.execute(batch: text).map { result in
                switch result {
                case .success(let outcome): return MySQLResponse(outcome)
                case .failure(let error): return MySQLResponse(error)
                }
            }
        case .initDB(let name):
            // Sphinx has no databases and accepts any name; remember it for DATABASE().
            session.database = name
            return [.ok(affectedRows: 0)]
        case .resetConnection:
            session.reset()
            return [.ok(affectedRows: 0)]
        default:
            return [.error(.unknownCommand(0))]
        }
    }

    private static func status(of session: Session) -> MySQLStatusFlags {
        var s: MySQLStatusFlags = []
        if session.autocommit { s.insert(.autocommit) }
        if session.hasPendingWrites { s.insert(.inTransaction) }
        return s
    }

    /// Whether a batch may wait on the disk: anything but one statement that only reads or
    /// sets session state. Only scheduling depends on this; a misjudged batch still runs right.
    /// Looks at the first keyword first: an INSERT of 1000 lines is half a megabyte, and is a
    /// write whatever follows.
    static func mayWaitForDisk(_ text: String) -> Bool {
        var keyword: [UInt8] = []
        var rest = text.utf8.startIndex
        for byte in text.utf8 {
            rest = text.utf8.index(after: rest)
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
                keyword.append(byte | 0x20)
                if keyword.count > 8 { return true }
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "("):
                if keyword.isEmpty { continue }
            default:
                break
            }
            break
        }
        guard readKeywords.contains(keyword) else { return true }
        // A read, unless another statement follows it.
        guard let semicolon = text.utf8[rest...].firstIndex(of: UInt8(ascii: ";")) else { return false }
        return text.utf8[text.utf8.index(after: semicolon)...].contains(where: { $0 > 0x20 })
    }

    private static let readKeywords: Set<[UInt8]> = Set(["select", "show", "describe", "desc", "call", "set"].map { Array($0.utf8) })
}
