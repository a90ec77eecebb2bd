import MySQLWire
import SphinxQLExecution

/// Statement outcomes in the wire module's terms, typed as Sphinx 2.2.11 types them.
extension MySQLResponse {
    init(_ outcome: StatementOutcome) {
        switch outcome {
        case .ok(let affected):
            self = .ok(affectedRows: UInt64(max(0, affected)))
        case .rows(let rs):
            self = .resultSet(columns: rs.columns.map(MySQLColumn.init), rows: rs.rows.map { $0.map(\.text) })
        }
    }

    /// The wire takes a five-character SQLSTATE; anything else becomes HY000 (general error)
    /// rather than a trap.
    init(_ error: StatementError) {
        let state = error.sqlState.utf8.count == 5 && error.sqlState.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) ? error.sqlState : "HY000"
        self = .error(MySQLServerError(code: error.code, sqlState: state, message: error.message))
    }
}

extension MySQLColumn {
    init(_ column: ResultColumn) {
        switch column.kind {
        case .unsignedBigInt:
            self.init(name: column.name, type: .longlong, flags: MySQLColumn.numericFlag | MySQLColumn.unsignedFlag)
        case .bigInt:
            self.init(name: column.name, type: .longlong, flags: MySQLColumn.numericFlag)
        case .int:
            self.init(name: column.name, type: .long, flags: MySQLColumn.numericFlag)
        case .double:
            self.init(name: column.name, type: .double, flags: MySQLColumn.numericFlag, decimals: 31)
        case .string:
            self.init(name: column.name, type: .string)
        }
    }
}
