import AlcoIndex
import Foundation
import SphinxQL
import Testing

@testable import SphinxQLExecution

@Suite struct TableNameTests {
    let indexes: Set<String> = ["logs", "logsx", "a_20261125"]

    @Test(arguments: [
        ("logs", TableName(index: "logs", partitions: .all)),
        ("logs_20261125", TableName(index: "logs", partitions: .day(20_261_125))),
        ("logs_20261125_distr", TableName(index: "logs", partitions: .fromDay(20_261_125))),
        ("a_20261125", TableName(index: "a_20261125", partitions: .all)),
    ])
    func resolves(_ name: String, _ expected: TableName) {
        #expect(TableName.resolve(name, exists: indexes.contains) == expected)
    }

    @Test(arguments: ["nope", "nope_20261125", "logs_2026112", "logs_20261325", "logs_20261125_dist"])
    func unknown(_ name: String) {
        #expect(TableName.resolve(name, exists: indexes.contains) == nil)
    }
}

/// ALCO's captured statements, translated and run against an engine loaded with the captured
/// REPLACE batch, return what Sphinx returned.
@Suite struct WhereTranslatorTests {
    func select(_ sql: String) throws -> SelectStatement {
        guard case .select(let s) = try Parser.parse(sql) else { throw StatementError("not a select") }
        return s
    }

    func request(_ s: SelectStatement) throws -> SearchRequest {
        let expansion = try AliasExpansion(s.items)
        let t = try WhereTranslator().translate(try expansion.expand(s.whereClause))
        var r = SearchRequest(text: t.text, filter: t.filter, order: .idAscending, limit: 100, countTotal: true)
        if s.orderBy.first?.descending == true { r.order = .idDescending }
        return r
    }

    @Test func alcoQueriesFindWhatSphinxFound() throws {
        try withTestCatalog { catalog in try check(try catalog.index("logs")) }
    }

    func check(_ index: LogIndex) throws {
        let insert = try Parser.parse(
            #"REPLACE INTO logs_20261125 (id, js, logline) VALUES (1795640400001000007, '{\"host\": \"vm\", \"levelname\": \"INFO\", \"process\": 9001}', 'payment 1 failed: terminating worker'),(1795640400002000007, '{\"host\": \"vm\", \"levelname\": \"ERROR\", \"process\": 9002}', 'payment 2 failed: terminating worker'),(1795640400003000007, '{\"host\": \"vm\", \"levelname\": \"WARNING\", \"process\": 9003}', 'payment 3 failed: terminating worker'),(1795640400004000007, '{\"host\": \"vm\", \"levelname\": \"DEBUG\", \"process\": 9004}', 'payment 4 failed: terminating worker')"#
        )
        guard case .insert(_, let columns, let rows, _) = insert else { Issue.record("not an insert"); return }
        var docs: [NewDocument] = []
        for row in rows {
            var values: [String: SphinxQL.Expression] = [:]
            for (c, v) in zip(columns, row) { values[c] = v }
            guard case .integer(let id) = values["id"], case .string(let js) = values["js"], case .string(let line) = values["logline"] else { continue }
            docs.append(NewDocument(id: UInt64(id), logline: line, jsText: js))
        }
        try index.append(docs, mode: .replace)

        let q1 = try select(
            """
            SELECT (SNIPPET(logline, 'failed terminating', 'limit=1000000')) AS `logline_snippet`, (IN(js.levelname, 'ERROR', 'WARNING')) AS `__levelname__in_str`, (IN(js.process, '9002', 'abc')) AS `__process__in_str`, (IN(js.process, 9002)) AS `__process__in_int`, logline, js, id, (id >= 1795640400000000000 AND (__levelname__in_str = 1) AND ((__process__in_str = 1 OR __process__in_int = 1))) AS `__where_result` FROM `logs_20261125_distr` WHERE (MATCH('@logline ("failed terminating")') AND (__where_result = 1)) ORDER BY id ASC LIMIT 101 OPTION max_matches=200
            """)
        #expect(try index.search(request(q1)).hits.map(\.id) == [1_795_640_400_002_000_007])

        let q2 = try select("SELECT logline, id, (IN(id, 1795640400004000007, 1795640400001000007)) AS `__where_result` FROM `logs` WHERE (__where_result = 1)")
        #expect(try index.search(request(q2)).hits.map(\.id) == [1_795_640_400_001_000_007, 1_795_640_400_004_000_007])

        let q3 = try select("SELECT logline, id, NOT (id = 1795640400001000007) AS `__where_result` FROM `logs` WHERE (MATCH('@logline (\"payment\")') AND (__where_result = 1))")
        #expect(try index.search(request(q3)).totalFound == 3)

        let q4 = try select("SELECT id, id < 1795640400004000007 AS `__where_result` FROM `logs` WHERE (__where_result = 1) ORDER BY id DESC LIMIT 101")
        #expect(try index.search(request(q4)).hits.map(\.id) == [1_795_640_400_003_000_007, 1_795_640_400_002_000_007, 1_795_640_400_001_000_007])

        let q5 = try select("SELECT id FROM logs WHERE js.process BETWEEN 9002 AND 9003 AND js.host = 'vm'")
        #expect(try index.search(request(q5)).totalFound == 2)
    }

    @Test func badMatchIsAStatementError() throws {
        let s = try select("SELECT id FROM logs WHERE MATCH('(unclosed')")
        #expect(throws: StatementError.self) { _ = try WhereTranslator().translate(s.whereClause) }
    }
}
