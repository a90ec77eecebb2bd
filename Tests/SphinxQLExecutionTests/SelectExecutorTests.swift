import AlcoIndex
import Foundation
import SphinxQL
import Testing

@testable import SphinxQLExecution

/// SELECTs as ALCO and django-sphinxsearch send them, run against an engine holding the rows
/// of the captured REPLACE batch (day 2026-11-25 UTC).
@Suite(.serialized) struct SelectExecutorTests {
    static func withCatalog(_ body: (Catalog) throws -> Void) throws {
        try withTestCatalog { catalog in
            let levels = ["INFO", "ERROR", "WARNING", "DEBUG", "ERROR"]
            try catalog.index("logs").append(
                (1...5).map { k in
                    NewDocument(
                        id: 1_795_640_400_000_000_007 + UInt64(k) * 1_000_000, logline: "payment \(k) failed: terminating worker",
                        jsText: #"{"host":"vm","levelname":"\#(levels[k - 1])","process":\#(9000 + k),"ratio":0.5}"#)
                }, mode: .replace)
            try body(catalog)
        }
    }

    func run(_ catalog: Catalog, _ sql: String) throws -> (ResultSet, QueryMeta) {
        guard case .select(let s) = try Parser.parse(sql) else { throw StatementError("not a select") }
        return try SelectExecutor(catalog: catalog).execute(s)
    }

    @Test func alcoGrepQueryWithSnippetAndFlags() throws {
        try Self.withCatalog { catalog in
            let (rs, meta) = try run(
                catalog,
                """
                SELECT (SNIPPET(logline, 'failed terminating', 'limit=1000000')) AS `logline_snippet`, (IN(js.levelname, 'ERROR', 'WARNING')) AS `__levelname__in_str`, id, logline, js, js.host, js.levelname, js.process, (id >= 1795640400000000000 AND (__levelname__in_str = 1)) AS `__where_result` FROM `logs_20261125_distr` WHERE (MATCH('@logline ("failed terminating")') AND (__where_result = 1)) ORDER BY id ASC LIMIT 3 OPTION max_matches=4
                """)
            #expect(rs.columns.map(\.name) == ["logline_snippet", "__levelname__in_str", "id", "logline", "js", "js.host", "js.levelname", "js.process", "__where_result"])
            #expect(rs.columns[2].kind == .unsignedBigInt && rs.columns[1].kind == .int && rs.columns[5].kind == .string)
            #expect(rs.rows.count == 3)
            #expect(rs.rows[0][0] == .string("payment 2 <b>failed</b>: <b>terminating</b> worker"))
            #expect(rs.rows[0][1] == .int(1))
            #expect(rs.rows[0][2] == .unsigned(1_795_640_400_002_000_007))
            #expect(rs.rows[0][5] == .string("vm"))
            #expect(rs.rows[0][7] == .string("9002"))
            #expect(rs.rows[0][8] == .int(1))
            #expect(rs.rows.map { $0[6] } == [.string("ERROR"), .string("WARNING"), .string("ERROR")])
            #expect(meta.totalFound == 3)
        }
    }

    @Test func countAndGroupBy() throws {
        try Self.withCatalog { catalog in
            let (count, _) = try run(catalog, "SELECT COUNT(*) AS `__count`, id > 1795640400002000007 AS `__where_result` FROM `logs_20261125_distr` WHERE (__where_result = 1)")
            // Beside COUNT(*), an expression has its value on the smallest matching id, as in
            // Sphinx's implicit group; NULL when nothing matches.
            #expect(count.rows == [[.int(3), .int(1)]])
            #expect(count.columns.first == ResultColumn(name: "__count", kind: .int))
            let (beside, _) = try run(catalog, "SELECT COUNT(*), id, js.process, id >= 1795640400003000007 FROM logs WHERE MATCH('failed')")
            #expect(beside.rows == [[.int(5), .unsigned(1_795_640_400_001_000_007), .string("9001"), .int(0)]])
            let (none, _) = try run(catalog, "SELECT COUNT(*) AS c, id >= 1 AS w, * FROM logs WHERE MATCH('nothing')")
            #expect(none.rows == [[.int(0), .null, .null, .null, .null]])
            let (groups, _) = try run(catalog, "SELECT js.levelname, COUNT(*) FROM `logs` GROUP BY js.levelname")
            let pairs = groups.rows.map { [$0[0].text ?? "", $0[1].text ?? ""] }
            #expect(pairs.first == ["ERROR", "2"])
            #expect(Set(pairs.map { $0[0] }) == ["ERROR", "INFO", "WARNING", "DEBUG"])
            #expect(groups.columns.map(\.name) == ["js.levelname", "count(*)"])
        }
    }

    @Test func isNullTestsForAKeyAbsentFromTheLine() throws {
        try Self.withCatalog { catalog in
            try catalog.index("logs").append(
                [NewDocument(id: 1_795_640_400_009_000_007, logline: "no host here", jsText: #"{"levelname":"INFO"}"#)], mode: .replace)
            let (absent, _) = try run(catalog, "SELECT id FROM logs WHERE js.host IS NULL")
            #expect(absent.rows == [[.unsigned(1_795_640_400_009_000_007)]])
            let (present, _) = try run(catalog, "SELECT COUNT(*) FROM logs WHERE js.host IS NOT NULL")
            #expect(present.rows == [[.int(5)]])
            // As a select-list condition, which is how a Sphinx master forwards OR-ed filters.
            let (alias, _) = try run(
                catalog, "SELECT id, js.host IS NULL OR IN(js.levelname, 'DEBUG') AS f FROM logs WHERE f = 1 ORDER BY id ASC")
            #expect(alias.rows.map { $0[0] } == [.unsigned(1_795_640_400_004_000_007), .unsigned(1_795_640_400_009_000_007)])
            #expect(alias.columns[1].kind == .int)
        }
    }

    @Test func columnsAreNamedAsWritten() throws {
        try Self.withCatalog { catalog in
            let (rs, _) = try run(
                catalog,
                "SELECT ID, SNIPPET(LOGLINE, 'Failed'), snippet(logline,'x' , 'limit=5'), id  >=  1, IN(ID,5), JS.Host, JS.Process>=9002 AND ID>1, COUNT(*) AS N FROM logs GROUP BY id"
            )
            #expect(
                rs.columns.map(\.name) == [
                    "id", "snippet(logline, 'Failed')", "snippet(logline,'x' , 'limit=5')", "id  >=  1", "in(id,5)", "js.Host",
                    "js.Process>=9002 AND ID>1", "n",
                ])
        }
    }

    @Test func snippetWordsAreTheQuerysTokens() throws {
        try Self.withCatalog { catalog in
            // As Sphinx reads a snippet's query by default: separators only separate.
            let (words, _) = try run(catalog, "SELECT SNIPPET(logline, '/failed: (worker)', 'limit=1000000') AS s FROM logs WHERE id = 1795640400001000007")
            #expect(words.rows == [[.string("payment 1 <b>failed</b>: terminating <b>worker</b>")]])
            // query_mode=1: a full-text query, whose NOT'd word is not highlighted.
            let (query, _) = try run(catalog, "SELECT SNIPPET(logline, 'failed -worker', 'query_mode=1') AS s FROM logs WHERE id = 1795640400001000007")
            #expect(query.rows == [[.string("payment 1 <b>failed</b>: terminating worker")]])
        }
    }

    @Test func pagesAndOrder() throws {
        try Self.withCatalog { catalog in
            let (desc, _) = try run(catalog, "SELECT id FROM logs ORDER BY id DESC LIMIT 2")
            #expect(desc.rows.map { $0[0] } == [.unsigned(1_795_640_400_005_000_007), .unsigned(1_795_640_400_004_000_007)])
            let (page, _) = try run(
                catalog,
                "SELECT logline, id, id > 1795640400000000000 AS `__where_result` FROM `logs` WHERE (__where_result = 1) ORDER BY id ASC LIMIT 2, 101 OPTION max_matches=200")
            #expect(page.rows.count == 3)
            let (star, _) = try run(catalog, "SELECT * FROM logs WHERE js.process = 9003")
            #expect(star.columns.map(\.name) == ["id", "logline", "js"])
            #expect(star.rows.count == 1)
        }
    }

    @Test func sphinxErrors() throws {
        try Self.withCatalog { catalog in
            #expect(throws: StatementError("unknown local index 'nope' in search request")) { _ = try run(catalog, "SELECT id FROM nope") }
            #expect(throws: StatementError("unknown option 'bogus'")) { _ = try run(catalog, "SELECT id FROM logs OPTION bogus=1") }
            #expect(throws: StatementError("offset out of bounds (offset=9900, max_matches=1000)")) {
                _ = try run(catalog, "SELECT id FROM logs LIMIT 9900, 100")
            }
        }
    }

    @Test func severalTablesAreOneSearch() throws {
        try withTestCatalog(indexes: ["logs", "other"]) { catalog in
            let day1: UInt64 = 1_795_564_800_000_000_000  // 2026-11-25 00:00 UTC
            let day2 = day1 + 86_400_000_000_000
            try catalog.index("logs").append([
                NewDocument(id: day1 + 1, logline: "alpha one", jsText: #"{"levelname":"INFO"}"#),
                NewDocument(id: day2 + 1, logline: "alpha two", jsText: #"{"levelname":"ERROR"}"#),
            ])
            try catalog.index("other").append([
                NewDocument(id: day1 + 5, logline: "alpha three", jsText: #"{"levelname":"INFO"}"#),
                NewDocument(id: day2 + 9, logline: "beta four", jsText: #"{"levelname":"INFO"}"#),
            ])
            func ids(_ sql: String) throws -> [Cell] { try run(catalog, sql).0.rows.map { $0[0] } }
            // Two indexes: merged in order, limited as a whole.
            #expect(
                try ids("SELECT id FROM logs, other ORDER BY id DESC LIMIT 3")
                    == [.unsigned(day2 + 9), .unsigned(day2 + 1), .unsigned(day1 + 5)])
            #expect(
                try ids("SELECT id FROM logs, `other` WHERE MATCH('alpha') ORDER BY id ASC LIMIT 1, 5")
                    == [.unsigned(day1 + 5), .unsigned(day2 + 1)])
            // Two days of one index: one search over both, each row once.
            #expect(
                try ids("SELECT id FROM logs_20261125, logs_20261126, logs ORDER BY id ASC")
                    == [.unsigned(day1 + 1), .unsigned(day2 + 1)])
            #expect(
                try ids("SELECT id FROM logs_20261126, other_20261125 ORDER BY id ASC")
                    == [.unsigned(day1 + 5), .unsigned(day2 + 1)])
            let (count, meta) = try run(catalog, "SELECT COUNT(*) FROM logs, other WHERE MATCH('alpha')")
            #expect(count.rows == [[.int(3)]])
            #expect(meta.totalFound == 1)
            let (groups, _) = try run(catalog, "SELECT js.levelname AS l, COUNT(*) AS n FROM logs, other GROUP BY l")
            #expect(groups.rows.map { [$0[0], $0[1]] } == [[.string("INFO"), .int(3)], [.string("ERROR"), .int(1)]])
            let (_, lazy) = try run(catalog, "SELECT id FROM logs, other ORDER BY id DESC LIMIT 1")
            #expect(try lazy.resolved().totalFound == 4)
            #expect(throws: StatementError.self) { try run(catalog, "SELECT id FROM logs, nope") }
        }
    }

    @Test func projectionDecodesOnlyTheMembersItReads() {
        let keys = [Array("b".utf8), Array("d".utf8)]
        let js = #"{"a":{"deep":[1,2,{"x":"y"}]},"b":"two","c":3,"d":[true,null],"b":"again"}"#
        // The first member under each key, as a path reads it.
        #expect(
            RowProjection.members(of: js, named: keys)
                == .object([("b", .string("two")), ("d", .array([.bool(true), .null]))]))
        #expect(RowProjection.members(of: #"{"d":1,"b":"x","b":"y"}"#, named: keys) == .object([("d", .number(text: "1")), ("b", .string("x"))]))
        #expect(RowProjection.members(of: #"{"c":1}"#, named: keys) == .object([]))
        // A key spelled with escapes is matched once decoded: the document is decoded whole.
        let escaped = #"{"b":"escaped","c":1}"#
        #expect(RowProjection.members(of: escaped, named: keys)["b"] == .string("escaped"))
        // Text that is not a JSON object reads as an empty one, as a full parse would.
        #expect(RowProjection.members(of: #"{"b":"#, named: keys) == .object([]))
        #expect(RowProjection.members(of: "[1]", named: keys) == .object([]))
    }

    @Test func selectListIsCompiledOnceAndEvaluatedPerRow() throws {
        try Self.withCatalog { catalog in
            let (rs, _) = try run(
                catalog,
                """
                SELECT id, js.process AS p, IN(js.levelname, 'ERROR') AS e, NOT e AS ne, js.nope AS n, 7 AS k,
                SNIPPET(logline, 'failed') AS s FROM logs WHERE e = 1 ORDER BY id ASC
                """)
            #expect(rs.rows.count == 2)
            #expect(rs.rows.map { $0[1] } == [.string("9002"), .string("9005")])
            #expect(rs.rows.allSatisfy { $0[2] == .int(1) && $0[3] == .int(0) && $0[4] == .null && $0[5] == .int(7) })
            #expect(
                rs.rows.map { $0[6] } == [
                    .string("payment 2 <b>failed</b>: terminating worker"),
                    .string("payment 5 <b>failed</b>: terminating worker"),
                ])
            // An expression that cannot be evaluated is an error once a row reaches it, not before.
            #expect(throws: StatementError.self) { try run(catalog, "SELECT id, nope FROM logs") }
            #expect(try run(catalog, "SELECT id, nope FROM logs WHERE id = 1").0.rows.isEmpty)
        }
    }

    /// Groups in the ORDER BY asked for (counts and names, either way, then the page), not
    /// only most numerous first.
    @Test func groupsComeInTheOrderAsked() throws {
        try Self.withCatalog { catalog in
            func levels(_ sql: String) throws -> [String] {
                try run(catalog, sql).0.rows.map { $0[0].text ?? "NULL" }
            }
            let base = "SELECT js.levelname AS l, COUNT(*) AS n FROM logs GROUP BY l"
            let byCount = try levels(base + " ORDER BY n DESC")
            let byCountUp = try levels(base + " ORDER BY n ASC, l ASC")
            let byName = try levels(base + " ORDER BY l ASC")
            let page = try levels(base + " ORDER BY l DESC LIMIT 1, 2")
            let written = try levels("SELECT js.levelname, COUNT(*) FROM logs GROUP BY js.levelname ORDER BY js.levelname ASC")
            let numbers = try levels("SELECT js.process AS p, COUNT(*) FROM logs GROUP BY p ORDER BY p DESC LIMIT 2")
            #expect(byCount.first == "ERROR")
            #expect(byCountUp == ["DEBUG", "INFO", "WARNING", "ERROR"])
            #expect(byName == ["DEBUG", "ERROR", "INFO", "WARNING"])
            #expect(page == ["INFO", "ERROR"])
            #expect(written == ["DEBUG", "ERROR", "INFO", "WARNING"])
            #expect(numbers == ["9005", "9004"])
            #expect(throws: StatementError.self) { try run(catalog, base + " ORDER BY js.host ASC") }
        }
    }
}
