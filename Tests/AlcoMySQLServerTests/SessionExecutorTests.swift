import AlcoIndex
import Foundation
import MySQLWire
import Synchronization
import Testing

@testable import AlcoMySQLServer

/// One connection's commands run against its session: reads inline, writes off the loop,
/// the status flags OK packets carry, and what closing or resetting the connection drops.
@Suite struct SessionExecutorTests {
    static let id = "1795640400001000007"

    func withExecutor(_ body: (SessionExecutor) throws -> Void) throws {
        let dir = NSTemporaryDirectory() + "alco-executor-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = EngineOptions()
        options.backgroundMaintenance = false
        options.syncWrites = false
        let catalog = try Catalog(directory: dir, options: options)
        try catalog.createIndex(IndexSettings(name: "logs"))
        try body(SessionExecutor(catalog: catalog, connectionID: 1))
        try catalog.close()
    }

    /// Runs a command and waits for its one completion.
    func run(_ executor: SessionExecutor, _ command: MySQLCommand) -> MySQLReply {
        let done = DispatchSemaphore(value: 0)
        let reply = Mutex<[MySQLReply]>([])
        executor.execute(command) { r in
            reply.withLock { $0.append(r) }
            done.signal()
        }
        done.wait()
        let all = reply.withLock { $0 }
        #expect(all.count == 1, "completion is called exactly once")
        return all[0]
    }

    func resultRows(_ reply: MySQLReply) -> [[String?]] {
        guard case .resultSet(_, let rows)? = reply.responses.first else { return [] }
        return rows
    }

    func query(_ executor: SessionExecutor, _ sql: String) -> MySQLReply { run(executor, .query(sql)) }

    @Test func writesThenReadsWithAutocommitStatus() throws {
        try withExecutor { e in
            let login = MySQLHandshakeResponse(capabilities: [], maxPacketSize: 1 << 24, characterSet: 33, user: "", authResponse: [], database: "db")
            #expect(e.loggedIn(login) == .autocommit)
            let insert = query(e, "INSERT INTO logs (id, logline, js) VALUES (\(Self.id), 'PacketResponder 1 terminating', '{}')")
            #expect(insert == MySQLReply([.ok(affectedRows: 1)], status: .autocommit))
            let select = query(e, "SELECT id FROM logs WHERE MATCH('terminating')")
            guard case .resultSet(let columns, let rows) = select.responses.first else {
                Issue.record("\(select)")
                return
            }
            #expect(columns.map(\.name) == ["id"] && rows == [[Self.id]])
            // The login's database is the session's, and COM_INIT_DB changes it.
            #expect(resultRows(query(e, "SELECT DATABASE()")) == [["db"]])
            #expect(run(e, .initDB("other")).responses == [.ok(affectedRows: 0)])
            #expect(resultRows(query(e, "SELECT DATABASE()")) == [["other"]])
        }
    }

    @Test func aTransactionShowsInTheStatusAndDiesWithResetOrClose() throws {
        try withExecutor { e in
            #expect(query(e, "SET AUTOCOMMIT = 0").status == [])
            let held = query(e, "REPLACE INTO logs (id, logline, js) VALUES (\(Self.id), 'held back', '{}')")
            #expect(held.status == .inTransaction)
            #expect(run(e, .resetConnection) == MySQLReply([.ok(affectedRows: 0)], status: .autocommit))
            let count = query(e, "SELECT COUNT(*) FROM logs")
            guard case .resultSet(_, let rows) = count.responses.first else { Issue.record("\(count)"); return }
            #expect(rows == [["0"]], "a reset connection's transaction is gone")

            _ = query(e, "SET AUTOCOMMIT = 0")
            _ = query(e, "REPLACE INTO logs (id, logline, js) VALUES (\(Self.id), 'held back', '{}')")
            e.connectionClosed()
            // The reset runs on the connection's write queue, in order: a COMMIT queued after
            // it finds nothing to commit.
            #expect(query(e, "COMMIT").status == .autocommit)
            #expect(resultRows(query(e, "SELECT COUNT(*) FROM logs")) == [["0"]])
        }
    }

    @Test func statementsAfterAnErrorAreNotRunAndUnknownCommandsAreRefused() throws {
        try withExecutor { e in
            let reply = query(e, "SELECT * FROM nowhere; INSERT INTO logs (id, logline, js) VALUES (\(Self.id), 'x', '{}')")
            #expect(reply.responses.count == 1)
            guard case .error(let error) = reply.responses.first else { Issue.record("\(reply)"); return }
            #expect(error.message.contains("nowhere"))
            #expect(run(e, .statistics).responses == [.error(.unknownCommand(0))])
        }
    }

    @Test(arguments: [
        ("SELECT * FROM logs", false), ("  select 1", false), ("(SELECT 1)", false), ("SHOW META", false),
        ("DESCRIBE logs", false), ("desc logs", false), ("CALL SNIPPETS('a', 'logs', 'a')", false), ("SET NAMES utf8", false),
        ("SELECT 1;", false), ("SELECT 1;  \n", false),
        ("INSERT INTO logs VALUES (1)", true), ("replace into logs values (1)", true), ("DELETE FROM logs WHERE id=1", true),
        ("COMMIT", true), ("FLUSH RTINDEX logs", true), ("OPTIMIZE INDEX logs", true),
        ("SELECT 1; INSERT INTO logs VALUES (1)", true), ("selectx 1", true), ("", true), ("12", true),
    ])
    func whatMayWaitForTheDisk(_ sql: String, _ mayWait: Bool) {
        #expect(SessionExecutor.mayWaitForDisk(sql) == mayWait)
    }
}
