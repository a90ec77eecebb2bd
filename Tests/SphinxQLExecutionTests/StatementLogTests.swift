import AlcoIndex
import Logging
import SphinxQL
import Synchronization
import Testing

@testable import SphinxQLExecution

/// The statement log: each statement numbered on its connection with its kind and duration,
/// the slow ones at warning level, a statement that fails with its error, the text bounded.
@Suite(.serialized) struct StatementLogTests {
    /// Keeps what is logged, for the test to read.
    final class Captured: Sendable {
        let records = Mutex<[(level: Logger.Level, message: String, metadata: [String: String])]>([])
    }

    struct CapturingHandler: LogHandler {
        let captured: Captured
        var logLevel: Logger.Level
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }.mapValues { "\($0)" }
            captured.records.withLock { $0.append((event.level, "\(event.message)", all)) }
        }
    }

    static func logged(level: Logger.Level, slowMilliseconds: Int?, _ batches: [String]) throws -> [(
        level: Logger.Level, message: String, metadata: [String: String]
    )] {
        let captured = Captured()
        var logger = Logger(label: "test") { _ in CapturingHandler(captured: captured, logLevel: level) }
        logger[metadataKey: "connection"] = "7"
        try withTestCatalog(indexes: ["logs"]) { catalog in
            let session = Session(catalog: catalog)
            session.statementLog = StatementLog(logger: logger, slowMilliseconds: slowMilliseconds)
            for b in batches { _ = session.execute(batch: b) }
        }
        return captured.records.withLock { $0 }
    }

    @Test func everyStatementAtDebugNumberedWithItsKind() throws {
        let records = try Self.logged(level: .debug, slowMilliseconds: nil, ["SELECT * FROM logs; SHOW META", "SELEKT nonsense", "SHOW TABLES"])
        #expect(records.map(\.message) == ["statement", "statement", "statement", "statement"])
        #expect(records.map { $0.metadata["statement"] } == ["1", "2", "3", "4"])
        #expect(records.map { $0.metadata["kind"] } == ["select", "show", "invalid", "show"])
        #expect(records.allSatisfy { $0.metadata["connection"] == "7" && Double($0.metadata["duration_ms"]!)! >= 0 })
        #expect(records[2].metadata["error"]?.contains("syntax error") == true)
        #expect(records[0].metadata["error"] == nil)
    }

    @Test func slowStatementsAtWarningTheRestNotAtInfo() throws {
        // A threshold of 0 ms: every statement is slow.
        let slow = try Self.logged(level: .info, slowMilliseconds: 0, ["SHOW TABLES"])
        #expect(slow.map(\.level) == [.warning] && slow.map(\.message) == ["slow statement"])
        #expect(slow[0].metadata["sql"] == "SHOW TABLES")
        // A day: none is; and at info level the others are not logged at all.
        #expect(try Self.logged(level: .info, slowMilliseconds: 86_400_000, ["SHOW TABLES"]).isEmpty)
        #expect(try Self.logged(level: .info, slowMilliseconds: nil, ["SHOW TABLES"]).isEmpty)
    }

    @Test func theTextIsBoundedAndStaysValid() {
        let text = "INSERT INTO logs (id, logline) VALUES (1, '" + String(repeating: "ж", count: 3000) + "')"
        let excerpt = StatementLog.excerpt(text)
        #expect(excerpt.utf8.count < StatementLog.excerptBytes + 40)
        #expect(excerpt.hasSuffix("… (\(text.utf8.count) bytes)"))
        #expect(StatementLog.excerpt("SHOW META") == "SHOW META")
    }

    @Test func everyStatementHasOneOfTheListedKinds() throws {
        let samples = [
            "SELECT 1", "SHOW TABLES", "DESCRIBE logs", "SET autocommit=0", "INSERT INTO logs (id) VALUES (1)",
            "REPLACE INTO logs (id) VALUES (1)", "DELETE FROM logs WHERE id = 1", "CALL KEYWORDS('a', 'logs')", "FLUSH RTINDEX logs",
            "OPTIMIZE INDEX logs", "TRUNCATE RTINDEX logs", "ALTER TABLE logs ADD COLUMN c integer", "ATTACH INDEX a TO RTINDEX b",
            "BEGIN", "COMMIT", "ROLLBACK", "USE x",
        ]
        let kinds = try samples.map { try Parser.parseBatch($0)[0].kind }
        #expect(Set(kinds) == Set(Statement.kinds), "each listed kind is reached, and only those")
    }
}
