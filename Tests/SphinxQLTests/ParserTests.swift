import Foundation
import Testing

@testable import SphinxQL

/// Every statement real clients sent to Sphinx for ALCO (Fixtures/compat/client-statements.txt).
let clientStatements: [String] = {
    let path =
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path + "/Fixtures/compat/client-statements.txt"
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    var out: [String] = []
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        let parts = line.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1] == "3" else { continue }
        var statement = String(parts[2])
        if statement.hasSuffix("|") { statement.removeLast() }
        out.append(statement)
    }
    return out
}()

@Suite struct ParserTests {
    @Test func everyCapturedClientStatementParses() throws {
        #expect(clientStatements.count > 50)
        for s in clientStatements {
            #expect(throws: Never.self, "\(s)") { _ = try Parser.parseBatch(s) }
        }
    }

    @Test func alcoWhereResultShape() throws {
        let s = try Parser.parse(
            """
            SELECT (SNIPPET(logline, 'failed', 'limit=1000000')) AS `logline_snippet`, (IN(js.levelname, 'ERROR', 'WARNING')) AS `__levelname__in_str`, id, logline, js, js.host, (id >= 1795630800000000000 AND (__levelname__in_str = 1)) AS `__where_result` FROM `logs_20261125_distr` WHERE (MATCH('@logline ("failed")') AND (__where_result = 1)) ORDER BY id ASC LIMIT 3 OPTION max_matches=4
            """)
        guard case .select(let sel) = s else { Issue.record("not a select"); return }
        #expect(sel.tables == ["logs_20261125_distr"])
        #expect(sel.items.count == 7)
        #expect(sel.items[0] == SelectItem(expression: .function("snippet", [.column("logline"), .string("failed"), .string("limit=1000000")]), alias: "logline_snippet"))
        #expect(sel.items[1].expression == .function("in", [.column("js.levelname"), .string("ERROR"), .string("WARNING")]))
        #expect(sel.items[5].expression == .column("js.host"))
        #expect(
            sel.whereClause
                == .and([
                    .function("match", [.string("@logline (\"failed\")")]),
                    .binary("=", .column("__where_result"), .integer("1")),
                ]))
        #expect(sel.orderBy == [OrderKey(expression: .column("id"), descending: false)])
        #expect(sel.limit == 3)
        #expect(sel.options.first?.name == "max_matches")
        #expect(sel.options.first?.value == .integer("4"))
    }

    @Test func escapedMatchText() throws {
        let s = try Parser.parse(#"SELECT id FROM logs WHERE MATCH('@logline ("it\\\'s a\\\-b user\\\@example.com")')"#)
        guard case .select(let sel) = s else { Issue.record("not a select"); return }
        #expect(sel.whereClause == .function("match", [.string(#"@logline ("it\'s a\-b user\@example.com")"#)]))
    }

    @Test func limitsGroupCountAndNot() throws {
        guard case .select(let a) = try Parser.parse("SELECT logline FROM `logs` WHERE (__where_result = 1) ORDER BY id ASC LIMIT 2, 101 OPTION max_matches=200") else {
            Issue.record(""); return
        }
        #expect(a.offset == 2 && a.limit == 101)
        guard case .select(let b) = try Parser.parse("SELECT js.levelname, COUNT(*) FROM `logs` GROUP BY js.levelname") else { Issue.record(""); return }
        #expect(b.groupBy == [.column("js.levelname")])
        #expect(b.items[1].expression == .function("count", [.star]))
        guard case .select(let c) = try Parser.parse("SELECT id, NOT (id = 5) AS `w` FROM logs WHERE w = 1") else { Issue.record(""); return }
        #expect(c.items[1].expression == .not(.binary("=", .column("id"), .integer("5"))))
        guard case .select(let d) = try Parser.parse("SELECT COUNT(DISTINCT js.host) FROM logs WHERE id BETWEEN 1 AND 10 AND js.n NOT IN (1, 2)") else { Issue.record(""); return }
        #expect(d.items[0].expression == .function("count_distinct", [.column("js.host")]))
    }

    @Test func writes() throws {
        #expect(
            try Parser.parse(#"REPLACE INTO logs_20261125 (id, js, logline) VALUES (1, '{\"a\":1}', 'x'),(2, '{}', 'y')"#)
                == .insert(
                    table: "logs_20261125", columns: ["id", "js", "logline"],
                    rows: [[.integer("1"), .string(#"{"a":1}"#), .string("x")], [.integer("2"), .string("{}"), .string("y")]],
                    replace: true))
        #expect(
            try Parser.parse("DELETE FROM `logs_20261125` WHERE id = 7")
                == .delete(table: "logs_20261125", where: .binary("=", .column("id"), .integer("7"))))
        #expect(try Parser.parse("FLUSH RTINDEX logs") == .flushRTIndex("logs"))
        #expect(try Parser.parse("TRUNCATE RTINDEX logs") == .truncateRTIndex("logs"))
        #expect(try Parser.parse("OPTIMIZE INDEX logs") == .optimizeIndex("logs"))
    }

    /// String literals escaped the way PyMySQL escapes them read back as the original text,
    /// whatever falls at the edges of the lexer's eight-byte steps; values in a row that are
    /// not plain literals still parse as expressions.
    @Test func escapedLiteralsRoundTrip() throws {
        var rng = SystemRandomNumberGenerator()
        let pieces = ["a", "\"", "'", "\\", "\n", "é", "{\"k\": 1}", " ", "xyzxyzxy", "\r", "\t"]
        for _ in 0..<2000 {
            let original = (0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            var escaped = ""
            for ch in original {
                switch ch {
                case "\\": escaped += "\\\\"
                case "'": escaped += "\\'"
                case "\"": escaped += "\\\""
                case "\n": escaped += "\\n"
                case "\r": escaped += "\\r"
                default: escaped.append(ch)
                }
            }
            let statement = "INSERT INTO t (id, js, logline) VALUES (1, '\(escaped)', -2 + 3)"
            #expect(
                try Parser.parse(statement)
                    == .insert(
                        table: "t", columns: ["id", "js", "logline"],
                        rows: [[.integer("1"), .string(original), .binary("+", .integer("-2"), .integer("3"))]], replace: false),
                "\(statement)")
        }
        #expect(throws: SphinxQLError.self) { try Parser.parse("INSERT INTO t (id) VALUES ('abc\\") }
    }

    @Test func clientChatter() throws {
        #expect(try Parser.parse("SET NAMES utf8mb4") == .set(name: "names", value: .string("utf8mb4"), global: false))
        #expect(try Parser.parse("SET AUTOCOMMIT = 0") == .set(name: "AUTOCOMMIT", value: .integer("0"), global: false))
        #expect(try Parser.parse("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED") == .setTransaction("ISOLATION LEVEL READ COMMITTED"))
        #expect(
            try Parser.parse("select @@version_comment limit 1") == .select(SelectStatement(items: [SelectItem(expression: .variable("@@version_comment"), alias: nil)], limit: 1)))
        #expect(try Parser.parse("SHOW VARIABLES LIKE 'auto%'") == .show(.variables, like: "auto%"))
        #expect(try Parser.parse("SHOW INDEX logs STATUS") == .show(.indexStatus("logs"), like: nil))
        #expect(try Parser.parse("START TRANSACTION") == .begin)
        #expect(try Parser.parseBatch("SELECT * FROM logs; SHOW META").count == 2)
    }

    @Test(arguments: [
        ("SELECT FROM logs", 7, "syntax error, unexpected FROM"),
        ("SELECT id FROM logs LIMIT x", 26, "syntax error, unexpected IDENT, expecting CONST_INT"),
        ("SELECT id FROM logs WHERE", 25, "syntax error, unexpected $end"),
        ("DELETE logs", 7, "syntax error, unexpected IDENT, expecting FROM"),
        ("SELECT 'abc", 7, "unterminated string"),
    ])
    func errorsCarryPositions(_ text: String, _ offset: Int, _ message: String) {
        do {
            _ = try Parser.parseBatch(text)
            Issue.record("expected an error for \(text)")
        } catch let e as SphinxQLError {
            #expect(e.offset == offset, "\(text): \(e)")
            #expect(e.message.hasPrefix(message), "\(text): \(e)")
            #expect(e.description.hasPrefix("sphinxql: "))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
