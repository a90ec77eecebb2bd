import MySQLWire
import SphinxQLExecution
import Testing

@testable import AlcoMySQLServer

/// Statement outcomes become wire responses typed as Sphinx 2.2.11 types them (see
/// Fixtures/compat for what Sphinx sends).
@Suite struct ReplyEncodingTests {
    @Test func columnKindsGetSphinxsWireTypes() {
        let kinds: [(ResultColumn.Kind, MySQLColumn)] = [
            (.unsignedBigInt, MySQLColumn(name: "c", type: .longlong, flags: MySQLColumn.numericFlag | MySQLColumn.unsignedFlag)),
            (.bigInt, MySQLColumn(name: "c", type: .longlong, flags: MySQLColumn.numericFlag)),
            (.int, MySQLColumn(name: "c", type: .long, flags: MySQLColumn.numericFlag)),
            (.double, MySQLColumn(name: "c", type: .double, flags: MySQLColumn.numericFlag, decimals: 31)),
            (.string, MySQLColumn(name: "c", type: .string)),
        ]
        for (kind, expected) in kinds {
            #expect(MySQLColumn(ResultColumn(name: "c", kind: kind)) == expected, "\(kind)")
        }
    }

    @Test func rowsKeepTheirTextAndNulls() {
        let rs = ResultSet(
            columns: [ResultColumn(name: "id", kind: .unsignedBigInt), ResultColumn(name: "js", kind: .string)],
            rows: [[.unsigned(18_446_744_073_709_551_615), .null], [.unsigned(1), .string("{\"a\":1}")]])
        guard case .resultSet(let columns, let rows) = MySQLResponse(StatementOutcome.rows(rs)) else {
            Issue.record("not a result set")
            return
        }
        #expect(columns.map { $0.name } == ["id", "js"])
        #expect(rows == [["18446744073709551615", nil], ["1", "{\"a\":1}"]])
    }

    @Test func affectedRowsAreNeverNegative() {
        #expect(MySQLResponse(StatementOutcome.ok(affected: 3)) == .ok(affectedRows: 3))
        #expect(MySQLResponse(StatementOutcome.ok(affected: -1)) == .ok(affectedRows: 0))
    }

    @Test func errorsKeepCodeAndStateAndABadStateBecomesGeneral() {
        let unknown = StatementError("no such index 'x'", code: 1146, sqlState: "42S02")
        #expect(MySQLResponse(unknown) == .error(MySQLServerError(code: 1146, sqlState: "42S02", message: "no such index 'x'")))
        for bad in ["", "4200", "420000", "42\u{0}00", "4200é"] {
            let e = StatementError("m", code: 1064, sqlState: bad)
            #expect(MySQLResponse(e) == .error(MySQLServerError(code: 1064, sqlState: "HY000", message: "m")), "\(bad)")
        }
    }
}
