import AlcoIndex
import Testing

@testable import SearchThrough

/// The SphinxQL a node sends a Sphinx front for an API search: shapes a 2.2.11 master takes
/// (checked against a real one by Tests/Integration/test_search_through.py), and nothing a
/// client typed can step out of its string literal.
@Suite struct SearchStatementTests {
    @Test func aPageIsMatchIdBoundsOrderAndWindow() throws {
        var r = SearchRequest(text: try QueryParser.parse("connection reset"), order: .idAscending, limit: 50, maxMatches: 1000)
        r.ids.after(100)
        r.ids.atMost(900)
        #expect(
            try SearchStatement.select(r, index: "logs")
                == "SELECT id, logline, js FROM logs WHERE MATCH('connection reset') AND id >= 101 AND id <= 900 ORDER BY id ASC LIMIT 0, 50 OPTION max_matches=1000"
        )
    }

    @Test func filtersBecomeOneSelectListCondition() throws {
        var r = SearchRequest(limit: 10)
        r.filter = .and([
            .or([.typed(key: "host", value: "web01"), .typed(key: "host", value: "web02")]), .not(.typed(key: "status", value: "500")),
            .not(.exists(key: "exc_info")), .compare(key: "ms", .greater, 2.5),
        ])
        let sql = try SearchStatement.select(r, index: "logs")
        #expect(
            sql == "SELECT id, logline, js, ((IN(js.host, 'web01') OR IN(js.host, 'web02')) AND NOT ((IN(js.status, '500') OR js.status = 500))"
                + " AND NOT (js.exc_info IS NOT NULL) AND js.ms > 2.5) AS __alco_filter FROM logs WHERE __alco_filter = 1"
                + " ORDER BY id DESC LIMIT 0, 10 OPTION max_matches=1000")
        // A filter that passes everything sends none; one that passes nothing matches nothing.
        #expect(try SearchStatement.filterCondition(.or([.always(true), .exists(key: "x")])) == nil)
        #expect(try SearchStatement.filterCondition(.and([.exists(key: "x"), .always(false)])) == "0")
    }

    @Test func groupsAndCounts() throws {
        var r = SearchRequest(text: .substring("timed out", caseSensitive: false), limit: 0)
        r.groupBy = "levelname"
        #expect(
            try SearchStatement.select(r, index: "logs")
                == "SELECT js.levelname, COUNT(*) AS __count FROM logs WHERE MATCH('@@substring timed out') GROUP BY js.levelname ORDER BY __count DESC LIMIT 0, 0 OPTION max_matches=1000"
        )
        var empty = SearchRequest()
        empty.ids.before(0)
        #expect(try SearchStatement.count(empty, index: "logs") == "SELECT COUNT(*) FROM logs WHERE id = 0 AND id = 1")
    }

    @Test func whatClientsTypeStaysInItsLiteral() throws {
        #expect(SearchStatement.literal(#"it's \ "quoted""#) == #"'it\'s \\ "quoted"'"#)
        let r = SearchRequest(text: .regex(#"a'); DROP TABLE x; -- \d"#, caseSensitive: true))
        #expect(try SearchStatement.select(r, index: "logs").contains(#"MATCH('@@regex:cs a\'); DROP TABLE x; -- \\d')"#))
        #expect(throws: AlcoError.self) { try SearchStatement.select(SearchRequest(), index: "logs; DROP") }
        var odd = SearchRequest()
        odd.filter = .typed(key: "a b')", value: "x")
        #expect(throws: AlcoError.self) { try SearchStatement.select(odd, index: "logs") }
        // Deep filter trees are refused, not recursed into without end.
        var deep = Filter.exists(key: "k")
        for _ in 0..<500 { deep = .not(deep) }
        #expect(throws: AlcoError.self) { try SearchStatement.filterCondition(deep) }
    }
}
