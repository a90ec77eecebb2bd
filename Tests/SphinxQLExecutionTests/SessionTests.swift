import AlcoIndex
import Foundation
import SphinxQL
import Testing

@testable import SphinxQLExecution

@Suite(.serialized) struct SessionTests {
    static func withSession(_ body: (Session) throws -> Void) throws {
        try withTestCatalog(indexes: ["logs", "logsx"]) { catalog in
            // ALCO's logsx had `rt_field = request_id`: here, a js column flagged indexed.
            try catalog.index("logsx").columns.declare("request_id") { $0.indexed = true }
            try body(Session(catalog: catalog))
        }
    }

    func rows(_ s: Session, _ sql: String) throws -> ResultSet {
        let r = s.execute(batch: sql)
        guard case .success(.rows(let rs))? = r.last else { throw StatementError("no rows from \(sql): \(r)") }
        return rs
    }

    @Test func replaysEveryCapturedClientSession() throws {
        // Every statement the original clients sent, in order, succeeds against alco.
        let path =
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path + "/Fixtures/compat/client-statements.txt"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try Self.withSession { (session: Session) throws in
            var executed = 0
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
                guard parts.count == 3, parts[1] == "3" else { continue }
                var sql = String(parts[2])
                if sql.hasSuffix("|") { sql.removeLast() }
                for r in session.execute(batch: sql) {
                    if case .failure(let e) = r {
                        // Re-inserting the same id with INSERT is an error by design (DESIGN.md).
                        #expect(e.message.hasPrefix("duplicate id"), "\(sql): \(e)")
                    }
                }
                executed += 1
            }
            #expect(executed > 100)
        }
    }

    @Test func autocommitOffBuffersWritesUntilCommit() throws {
        try Self.withSession { (s: Session) throws in
            _ = s.execute(batch: "SET AUTOCOMMIT = 0")
            _ = s.execute(batch: "REPLACE INTO logs_20261125 (id, js, logline) VALUES (1795640400001000007, '{\"a\":1}', 'held back')")
            #expect(try rows(s, "SELECT id FROM logs").rows.isEmpty)
            _ = s.execute(batch: "COMMIT")
            #expect(try rows(s, "SELECT id FROM logs").rows.count == 1)
            _ = s.execute(batch: "DELETE FROM logs WHERE id = 1795640400001000007")
            _ = s.execute(batch: "ROLLBACK")
            #expect(try rows(s, "SELECT id FROM logs").rows.count == 1)
            _ = s.execute(batch: "SET AUTOCOMMIT = 1")
            #expect(s.execute(batch: "DELETE FROM logs WHERE id = 1795640400001000007") == [.success(.ok(affected: 1))])
        }
    }

    @Test func metaVariablesAndChatter() throws {
        try Self.withSession { (s: Session) throws in
            _ = s.execute(batch: "INSERT INTO logs (id, logline, js) VALUES (1795640400001000007, 'PacketResponder 1 terminating', '{}')")
            let batch = s.execute(batch: "SELECT id FROM logs WHERE MATCH('terminating'); SHOW META")
            #expect(batch.count == 2)
            guard case .success(.rows(let meta)) = batch[1] else { Issue.record("no meta"); return }
            #expect(meta.rows.map { $0[0].text ?? "" } == ["total", "total_found", "time", "keyword[0]", "docs[0]", "hits[0]"])
            #expect(meta.rows[1][1] == .string("1"))
            #expect(try rows(s, "select @@version_comment limit 1").rows == [[.string(ServerInfo.versionComment)]])
            #expect(try rows(s, "SELECT @@version").rows == [[.string(ServerInfo.version)]])
            #expect(try rows(s, "select DATABASE(), USER() limit 1").rows.first?.count == 2)
            #expect(try rows(s, "SHOW TABLES LIKE 'logsx'").rows == [[.string("logsx"), .string("distributed")]])
            #expect(try rows(s, "SHOW VARIABLES LIKE 'autocommit'").rows == [[.string("autocommit"), .string("1")]])
        }
    }

    @Test func dayTablesAreListedAsALCODeclaredThem() throws {
        try Self.withSession { (s: Session) throws in
            // A line of 2026-11-25 (UTC); today's and tomorrow's tables are listed too.
            _ = s.execute(batch: "INSERT INTO logs (id, logline, js) VALUES (1795640400001000007, 'PacketResponder 1 terminating', '{}')")
            let logs = try s.catalog.index("logs")
            let (today, tomorrow) = logs.currentDays()
            #expect(logs.heldDays == [20_261_125])
            let days = Set([20_261_125, today, tomorrow]).sorted()
            func tables(_ index: String, _ days: [Int]) -> [[Cell]] {
                [[.string(index), .string("distributed")]]
                    + days.flatMap { [[.string("\(index)_\($0)"), .string("rt")], [.string("\(index)_\($0)_distr"), .string("distributed")]] }
            }
            let all = (tables("logs", days) + tables("logsx", [today, tomorrow])).sorted { ($0[0].text ?? "") < ($1[0].text ?? "") }
            #expect(try rows(s, "SHOW TABLES").rows == all)
            #expect(try rows(s, "SHOW TABLES LIKE 'logs_2026%'").rows == Array(tables("logs", days).dropFirst()))
            #expect(try rows(s, "SHOW TABLES LIKE 'LOGS%'").rows.isEmpty)
            // A distributed table lists its agents; a day table its fields.
            let agents = try rows(s, "DESCRIBE logs")
            #expect(agents.columns.map(\.name) == ["Agent", "Type"])
            #expect(agents.rows == days.map { [.string("logs_\($0)"), .string("local")] })
            #expect(try rows(s, "DESC logs_\(today)_distr").rows.map { $0[0].text ?? "" } == days.filter { $0 >= today }.map { "logs_\($0)" })
            #expect(try rows(s, "DESCRIBE logs LIKE 'x%'").rows.isEmpty)
            let fields = try rows(s, "DESCRIBE logs_20261125")
            #expect(fields.columns.map(\.name) == ["Field", "Type"])
            #expect(fields.rows.map { $0[1].text ?? "" } == ["bigint", "field", "field", "string", "json"])
            // A day no table names is unknown, as in Sphinx.
            guard case .failure(let unknown)? = s.execute(batch: "DESCRIBE logs_19990101").first else { Issue.record("expected an error"); return }
            #expect(unknown.code == 1146 && unknown.message == "no such index 'logs_19990101'")
            // SHOW INDEX … STATUS answers for the day.
            let status = try rows(s, "SHOW INDEX logs_20261125 STATUS").rows
            #expect(status.first { $0[0] == .string("indexed_documents") }?[1] == .string("1"))
            let empty = try rows(s, "SHOW INDEX logs_\(tomorrow) STATUS").rows
            #expect(empty.first { $0[0] == .string("indexed_documents") }?[1] == .string("0"))
            guard case .failure(let noDay)? = s.execute(batch: "SHOW INDEX logs_19990101 STATUS").first else { Issue.record("expected an error"); return }
            #expect(noDay.message == "SHOW INDEX STATUS requires an existing index")
        }
    }

    @Test func callSnippetsAndKeywords() throws {
        try Self.withSession { (s: Session) throws in
            let snip = try rows(
                s, "CALL SNIPPETS(('doc one is terminating now', 'doc two has nothing'), 'logs', 'terminating', 5 AS around, '<em>' AS before_match, '</em>' AS after_match)")
            #expect(snip.rows == [[.string("doc one is <em>terminating</em> now")], [.string("doc two has nothing")]])
            let kw = try rows(s, "CALL KEYWORDS('PacketResponder 1 terminating web05.prod.example.com', 'logs')")
            #expect(kw.rows.map { $0[1].text ?? "" } == ["packetresponder", "1", "terminating", "web05.prod.example.com"])
        }
    }

    @Test func writeErrorsAreWordedLikeSphinx() throws {
        try Self.withSession { (s: Session) throws in
            #expect(
                s.execute(batch: "INSERT INTO logs (logline, js) VALUES ('no id', '{}')")
                    == [.failure(StatementError("column list must contain an 'id' column"))])
            _ = s.execute(batch: "INSERT INTO logs (id, logline, js) VALUES (9000000000000000001, 'a', '{}')")
            #expect(
                s.execute(batch: "INSERT INTO logs (id, logline, js) VALUES (9000000000000000001, 'a', '{}')")
                    == [.failure(StatementError("duplicate id '9000000000000000001'"))])
            #expect(s.execute(batch: "REPLACE INTO logs (id, logline, js) VALUES (9000000000000000001, 'b', '{}')") == [.success(.ok(affected: 1))])
            guard case .failure(let e)? = s.execute(batch: "SELEKT 1").first else { Issue.record("expected an error"); return }
            #expect(e.code == 1064 && e.message.hasPrefix("sphinxql: syntax error"))
            guard case .failure(let d)? = s.execute(batch: "DESCRIBE nope").first else { Issue.record("expected an error"); return }
            #expect(d.code == 1146)
        }
    }

    @Test func alterAndAttachWhereTheyMakeSense() throws {
        try Self.withSession { (s: Session) throws in
            #expect(s.execute(batch: "ALTER TABLE logs ADD COLUMN tenant string") == [.success(.ok(affected: 0))])
            #expect(s.catalog.indexIfExists("logs")?.columns.column("tenant")?.filtered == true)
            #expect(s.execute(batch: "ALTER RTINDEX logs RECONFIGURE") == [.success(.ok(affected: 0))])
            guard case .failure(let drop)? = s.execute(batch: "ALTER TABLE logs DROP COLUMN tenant").first,
                case .failure(let attach)? = s.execute(batch: "ATTACH INDEX old TO RTINDEX logs").first,
                case .failure(let type)? = s.execute(batch: "ALTER TABLE logs ADD COLUMN x blob").first,
                case .failure(let table)? = s.execute(batch: "ALTER TABLE nope ADD COLUMN x string").first
            else { Issue.record("expected errors"); return }
            #expect(drop.message.contains("cannot be dropped") && attach.message.contains("realtime"))
            #expect(type.message.contains("unknown column type 'blob'") && table.message.contains("nope"))
        }
    }
}
