import AlcoIndex
import Foundation
import SphinxQL
import Testing

@testable import SphinxQLExecution

/// Members of each class of hostile statement, generated over depths and magnitudes: each is
/// answered (rows or a clear error) within a bound, on a thread whose stack is a quarter of a
/// server thread's (so recursion that would overflow there fails here first), and the session
/// answers a normal query after it.
@Suite(.serialized) struct HostileStatementTests {
    /// Runs `body` on a thread with a 2 MiB stack (a quarter of a server thread's) and waits.
    static func onSmallStack(_ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            body()
            done.signal()
        }
        thread.stackSize = 2 << 20
        thread.start()
        done.wait()
    }

    /// The statement's outcome, checked to be rows or an error with a message, within 10 s.
    static func answer(_ session: Session, _ sql: String, file: String = #fileID, line: Int = #line)
        -> Result<StatementOutcome, StatementError>?
    {
        let box = ResultBox()
        let started = Date()
        nonisolated(unsafe) let s = session
        onSmallStack { box.value = s.execute(batch: sql).last }
        let seconds = Date().timeIntervalSince(started)
        #expect(seconds < 10, "\(sql.prefix(80))… took \(seconds) s")
        if case .failure(let e)? = box.value { #expect(!e.message.isEmpty) }
        return box.value
    }

    final class ResultBox: @unchecked Sendable {
        var value: Result<StatementOutcome, StatementError>?
    }

    static func stillAnswers(_ session: Session) {
        guard case .success(.rows(let rs))? = session.execute(batch: "SELECT id FROM logs WHERE MATCH('alpha') LIMIT 5").last else {
            Issue.record("a normal query failed after a hostile one")
            return
        }
        #expect(rs.rows.count == 5)
    }

    static func withLoadedSession(_ body: (Session) throws -> Void) throws {
        try withTestCatalog(indexes: ["logs"]) { catalog in
            let index = try catalog.index("logs")
            let base: Int64 = 1_764_028_800_000_000
            try index.append(
                (0..<200).map { k in
                    NewDocument(
                        microseconds: base + Int64(k) * 1000, logline: "alpha beta line \(k) gamma\(k % 7)",
                        js: .object([("host", .string("web\(k % 3)")), ("n", .number(text: String(k)))]))
                })
            try body(Session(catalog: catalog))
        }
    }

    @Test func nestedParenthesesInEveryPosition() throws {
        try Self.withLoadedSession { s in
            for depth in [1, 50, 189, 190, 191, 1000, 30_000] {
                let open = String(repeating: "(", count: depth), close = String(repeating: ")", count: depth)
                for sql in [
                    "SELECT id FROM logs WHERE \(open)id > 1\(close) LIMIT 1",
                    "SELECT \(open)1\(close) AS x FROM logs LIMIT 1",
                    "SELECT id FROM logs WHERE \(open)MATCH('alpha')\(close) LIMIT 1",
                    "SELECT id, IN(js.host, \(open)'web1'\(close)) AS h FROM logs LIMIT 1",
                ] {
                    let r = Self.answer(s, sql)
                    if depth <= 100 {
                        if case .failure(let e)? = r, e.message.contains("memory exhausted") { Issue.record("depth \(depth) refused: \(e)") }
                    }
                    if depth > Parser.maxDepth {
                        guard case .failure(let e)? = r else { Issue.record("depth \(depth) accepted: \(sql.prefix(60))"); continue }
                        #expect(e.message.contains("memory exhausted"), "\(e)")
                    }
                }
            }
            Self.stillAnswers(s)
        }
    }

    @Test func chainsOfUnaryAndBinaryOperators() throws {
        try Self.withLoadedSession { s in
            for n in [10, 189, 191, 10_000, 100_000] {
                let nots = String(repeating: "NOT ", count: n)
                let minus = String(repeating: "-", count: n)
                let plus = "1" + String(repeating: "+1", count: n)
                for sql in [
                    "SELECT id FROM logs WHERE \(nots)id = 1 LIMIT 1",
                    "SELECT \(minus)1 AS x FROM logs LIMIT 1",
                    "SELECT \(plus) AS x FROM logs LIMIT 1",
                    "SELECT \(String(repeating: "abs(", count: n))1\(String(repeating: ")", count: n)) AS x FROM logs LIMIT 1",
                ] {
                    _ = Self.answer(s, sql)
                }
            }
            Self.stillAnswers(s)
        }
    }

    @Test func longFlatListsAreNotRecursion() throws {
        try Self.withLoadedSession { s in
            // OR and AND chains and IN lists of hundreds of thousands: flat, answered, and freed
            // without recursion.
            let ors = (0..<100_000).map { "id = \($0)" }.joined(separator: " OR ")
            let ands = (0..<100_000).map { _ in "id > 0" }.joined(separator: " AND ")
            let inList = (0..<300_000).map(String.init).joined(separator: ",")
            let strings = (0..<100_000).map { "'web\($0)'" }.joined(separator: ",")
            for sql in [
                "SELECT id FROM logs WHERE \(ors) LIMIT 3", "SELECT id FROM logs WHERE \(ands) LIMIT 3",
                "SELECT id FROM logs WHERE id IN (\(inList)) LIMIT 3",
                "SELECT id, IN(js.host, \(strings)) AS h FROM logs WHERE h = 1 LIMIT 3",
                "SELECT id FROM logs WHERE MATCH('\((0..<50_000).map { "w\($0)" }.joined(separator: " | "))') LIMIT 3",
            ] {
                let outcome = Self.answer(s, sql)
                guard case .success(.rows)? = outcome else {
                    Issue.record("a flat list was refused: \(sql.prefix(60)): \(String(describing: outcome).prefix(300))")
                    continue
                }
            }
            Self.stillAnswers(s)
        }
    }

    @Test func aliasesThatReferToThemselvesOrEachOther() throws {
        try Self.withLoadedSession { s in
            var statements = [
                "SELECT x AS x FROM logs LIMIT 1", "SELECT y AS x, x AS y FROM logs LIMIT 1",
                "SELECT x AS x FROM logs WHERE x = 1 LIMIT 1", "SELECT y AS x, x AS y FROM logs WHERE x = 1 AND y = 1",
                "SELECT id + 1 AS x, x + 1 AS y FROM logs ORDER BY y LIMIT 1",
                "SELECT a AS a FROM logs GROUP BY a",
            ]
            // A chain of 5,000 aliases, and one whose expansion doubles at each step.
            statements.append("SELECT id AS a0, " + (1..<5000).map { "a\($0 - 1) + 1 AS a\($0)" }.joined(separator: ", ") + " FROM logs LIMIT 1")
            statements.append(
                "SELECT id AS a0, " + (1..<64).map { "a\($0 - 1) + a\($0 - 1) AS a\($0)" }.joined(separator: ", ")
                    + " FROM logs WHERE a63 > 0 LIMIT 1")
            for sql in statements { _ = Self.answer(s, sql) }
            guard case .failure(let e)? = Self.answer(s, statements.last!) else {
                Issue.record("an alias expanding to 2^63 terms was accepted")
                return
            }
            #expect(e.message.contains("too complex"))
            Self.stillAnswers(s)
        }
    }

    @Test func numbersOfEveryMagnitude() throws {
        try Self.withLoadedSession { s in
            let numbers = [
                "0", "1", "-1", "999", "1000", "1001", "2147483647", "2147483648", "4294967296", "9223372036854775806",
                "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616",
                String(repeating: "9", count: 400),
            ]
            for n in numbers {
                for sql in [
                    "SELECT * FROM logs LIMIT \(n)", "SELECT * FROM logs LIMIT \(n), 10", "SELECT * FROM logs LIMIT 1, \(n)",
                    "SELECT * FROM logs LIMIT \(n), \(n)", "SELECT * FROM logs LIMIT 5 OPTION max_matches=\(n)",
                    "SELECT * FROM logs LIMIT 5 OPTION max_query_time=\(n)", "SELECT * FROM logs LIMIT 5 OPTION cutoff=\(n)",
                    "SELECT * FROM logs WHERE id > \(n) LIMIT 3", "SELECT * FROM logs WHERE id BETWEEN \(n) AND 5 LIMIT 3",
                    "SELECT * FROM logs WHERE js.n > \(n) LIMIT 3", "SELECT * FROM logs WHERE id IN (\(n), 1) LIMIT 3",
                    "DELETE FROM logs WHERE id = \(n)",
                    "SELECT SNIPPET(logline, 'alpha', 'limit=\(n), around=\(n)') AS s FROM logs LIMIT 2",
                    "SELECT SNIPPET(logline, 'alpha', 'limit=-\(n), around=-\(n)') AS s FROM logs LIMIT 2",
                    "CALL SNIPPETS('aa bb cc', 'logs', 'bb', \(n) AS around, \(n) AS limit)",
                    "CALL SNIPPETS('aa bb cc', 'logs', 'bb', -\(n) AS around, 1 AS limit)",
                    "CALL KEYWORDS('alpha beta', 'logs', \(n))",
                    "SELECT id FROM logs WHERE MATCH('\"alpha beta\"~\(n)') LIMIT 1",
                    "SELECT id FROM logs WHERE MATCH('\"alpha beta gamma\"/\(n)') LIMIT 1",
                ] {
                    _ = Self.answer(s, sql)
                }
            }
            guard case .failure(let e)? = Self.answer(s, "SELECT * FROM logs LIMIT 0, 10 OPTION max_matches=2000000000") else {
                Issue.record("max_matches of two billion was accepted")
                return
            }
            #expect(e.message.contains("out of bounds"))
            Self.stillAnswers(s)
        }
    }

    @Test func likePatternsAndSessionState() throws {
        try Self.withLoadedSession { s in
            for n in [1, 100, 100_000] {
                _ = Self.answer(s, "SHOW TABLES LIKE '\(String(repeating: "%", count: n))x'")
                _ = Self.answer(s, "SHOW VARIABLES LIKE '\(String(repeating: "%a", count: n))'")
            }
            // Session variables are bounded in number and size.
            var refused = false
            for k in 0..<2000 {
                if case .failure = s.execute(batch: "SET @v\(k) = 1").last { refused = true; break }
            }
            #expect(refused)
            guard case .failure? = s.execute(batch: "SET @big = '\(String(repeating: "x", count: 1 << 17))'").last else {
                Issue.record("a 128 KiB variable was accepted")
                return
            }
            Self.stillAnswers(s)
        }
    }

    @Test func queriesStopAtTheirTimeLimit() throws {
        try withTestCatalog(indexes: ["logs"]) { catalog in
            let index = try catalog.index("logs")
            let base: Int64 = 1_764_028_800_000_000
            for batch in 0..<4 {
                try index.append(
                    (0..<25_000).map { k in
                        NewDocument(microseconds: base + Int64(batch * 25_000 + k), logline: "line \(k) of a long day with words \(k % 1000)", js: .object([]))
                    })
                try index.flush()
            }
            let s = Session(catalog: catalog)
            s.timeLimits = TimeLimits(server: 1)
            // A regex over every stored line takes longer than 1 ms: partial results and a warning.
            guard case .success(.rows)? = s.execute(batch: "SELECT id FROM logs LIMIT 1").last else {
                Issue.record("select failed")
                return
            }
            var request = SearchRequest(text: .regex("w[a-z]+s 9[0-9]9$", caseSensitive: true), countTotal: true)
            request.timeLimitMilliseconds = 1
            let r = try index.search(request)
            #expect(r.timedOut)
            #expect(!r.totalIsExact)
            // An inline budget that runs out asks for the statement to be run again off the loop.
            s.timeLimits = TimeLimits(server: nil, inline: 1)
            _ = s.execute(batch: "SELECT id FROM logs WHERE MATCH('words') ORDER BY WEIGHT() DESC LIMIT 5")
            let handedOff = s.needsHandOff
            s.timeLimits = TimeLimits()
            _ = s.execute(batch: "SELECT id FROM logs WHERE MATCH('words') ORDER BY WEIGHT() DESC LIMIT 5")
            #expect(!s.needsHandOff)
            #expect(handedOff)
        }
    }
}
