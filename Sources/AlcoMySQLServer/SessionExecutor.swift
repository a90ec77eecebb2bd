import AlcoIndex
import AlcoServer
import Dispatch
import MySQLWire

/// Runs one connection's commands against its SphinxQL session, one at a time on a queue of
/// its own, so engine work (searches, fsync waits) never blocks an event loop.
final class SessionExecutor: MySQLCommandExecutor, @unchecked Sendable {
    // `session` is only touched on `queue`, which is what makes this class Sendable.
    private let session: Session
    private let queue: DispatchQueue

    init(catalog: Catalog, connectionID: UInt32) {
        self.session = Session(catalog: catalog)
        self.queue = DispatchQueue(label: "alco.mysql.connection.\(connectionID)")
    }

    func loggedIn(_ login: MySQLHandshakeResponse) -> MySQLStatusFlags {
        queue.sync {
            session.user = login.user.isEmpty ? "alco" : login.user
            session.database = login.database
            return status
        }
    }

    func execute(_ command: MySQLCommand, completion: @escaping @Sendable (MySQLReply) -> Void) {
        queue.async { [self] in
            let responses: [MySQLResponse]
            switch command {
            case .query(let text):
                responses = session.execute(batch: text).map { result in
                    switch result {
                    case .success(let outcome): return MySQLResponse(outcome)
                    case .failure(let error): return MySQLResponse(error)
                    }
                }
            case .initDB(let name):
                // Sphinx has no databases and accepts any name; remember it for DATABASE().
                session.database = name
                responses = [.ok(affectedRows: 0)]
            case .resetConnection:
                session.reset()
                responses = [.ok(affectedRows: 0)]
            default:
                responses = [.error(.unknownCommand(0))]
            }
            completion(MySQLReply(responses, status: status))
        }
    }

    func connectionClosed() {
        // An open transaction dies with its connection, as in MySQL and Sphinx.
        queue.async { [self] in session.reset() }
    }

    private var status: MySQLStatusFlags {
        var s: MySQLStatusFlags = []
        if session.autocommit { s.insert(.autocommit) }
        if session.hasPendingWrites { s.insert(.inTransaction) }
        return s
    }
}
