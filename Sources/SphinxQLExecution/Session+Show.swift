import AlcoIndex
import SphinxQL

/// SHOW, DESCRIBE, SELECT without a table and the variables clients probe: what a session
/// says about the server and its tables.
extension Session {
    /// DESCRIBE as Sphinx answers it for the table's kind: a day table's fields and attributes,
    /// a distributed table's agents (the day tables it reads).
    func describe(_ table: String, like: String?) throws -> ResultSet {
        guard let (index, _, kind) = listedTable(table) else {
            throw StatementError("no such index '\(table)'", code: 1146, sqlState: "42S02")
        }
        switch kind {
        case .distributed(let agents):
            return ResultSet(
                columns: [ResultColumn(name: "Agent", kind: .string), ResultColumn(name: "Type", kind: .string)],
                rows: filter(agents.map { [.string($0), .string("local")] }, like: like))
        case .day:
            var rows: [[Cell]] = [[.string("id"), .string("bigint")]]
            for f in index.fullTextFields { rows.append([.string(f), .string("field")]) }
            rows.append([.string("logline"), .string("string")])
            rows.append([.string("js"), .string("json")])
            return ResultSet(
                columns: [ResultColumn(name: "Field", kind: .string), ResultColumn(name: "Type", kind: .string)],
                rows: filter(rows, like: like))
        }
    }

    /// A table SHOW TABLES lists, with its index and what it is there.
    func listedTable(_ table: String) -> (LogIndex, TableName, DayTables.Table)? {
        guard let name = TableName.resolve(table, exists: { catalog.indexIfExists($0) != nil }),
            let index = catalog.indexIfExists(name.index),
            let kind = DayTables(index).table(name)
        else { return nil }
        return (index, name, kind)
    }

    func constantSelect(_ s: SelectStatement) throws -> ResultSet {
        var columns: [ResultColumn] = []
        var row: [Cell] = []
        for item in s.items {
            let name = item.alias ?? SelectExecutor.name(of: item.expression)
            switch item.expression {
            case .variable(let v):
                columns.append(ResultColumn(name: name, kind: .string))
                row.append(variable(v))
            case .function("version", _):
                columns.append(ResultColumn(name: name, kind: .string))
                row.append(.string(ServerInfo.version))
            case .function("database", _), .function("schema", _):
                columns.append(ResultColumn(name: name, kind: .string))
                row.append(database.map(Cell.string) ?? .null)
            case .function("user", _), .function("current_user", _):
                columns.append(ResultColumn(name: name, kind: .string))
                row.append(.string(user + "@localhost"))
            case .function("connection_id", _):
                columns.append(ResultColumn(name: name, kind: .int))
                row.append(.int(1))
            case .integer(let n):
                columns.append(ResultColumn(name: name, kind: .bigInt))
                row.append(.int(Int64(n) ?? 0))
            case .float(let f):
                columns.append(ResultColumn(name: name, kind: .double))
                row.append(.double(Double(f) ?? 0))
            case .string(let t):
                columns.append(ResultColumn(name: name, kind: .string))
                row.append(.string(t))
            default:
                throw StatementError("unsupported expression without a table: \(name)")
            }
        }
        return ResultSet(columns: columns, rows: [row])
    }

    /// Sensible values for the variables clients probe (Sphinx answered an empty LONG that
    /// crashes PyMySQL's decoder).
    func variable(_ name: String) -> Cell {
        let key = name.lowercased().replacingPrefix("@@session.", with: "").replacingPrefix("@@global.", with: "")
            .replacingPrefix("@@", with: "")
        if let v = variables[key] { return .string(v) }
        switch key {
        case "version": return .string(ServerInfo.version)
        case "version_comment": return .string(ServerInfo.versionComment)
        case "autocommit": return .string(autocommit ? "1" : "0")
        case "auto_increment_increment", "auto_increment_offset": return .string("1")
        case "max_allowed_packet": return .string("33554432")
        case "character_set_client", "character_set_connection", "character_set_results", "character_set_server": return .string("utf8mb4")
        case "collation_connection", "collation_server": return .string("utf8mb4_general_ci")
        case "sql_mode": return .string("")
        case "lower_case_table_names": return .string("0")
        case "time_zone", "system_time_zone": return .string("UTC")
        case "transaction_isolation", "tx_isolation": return .string("READ-COMMITTED")
        case "wait_timeout", "interactive_timeout": return .string("28800")
        case "net_write_timeout": return .string("60")
        default: return .null
        }
    }

    func show(_ kind: ShowKind, like: String?) throws -> ResultSet {
        let two = [ResultColumn(name: "Variable_name", kind: .string), ResultColumn(name: "Value", kind: .string)]
        switch kind {
        case .meta:
            var rows: [[Cell]] = []
            if let pending = lastMeta {
                let m = try pending.resolved(inlineBudget: timeLimits.inline)
                lastMeta = m
                rows = m.rows.map { [.string($0.name), .string($0.value)] }
            }
            return ResultSet(columns: two, rows: filter(rows, like: like))
        case .tables:
            let tables = catalog.indexes.flatMap { DayTables($0).listing }.sorted { $0.name < $1.name }
            let rows: [[Cell]] = tables.map { [.string($0.name), .string($0.kind.rawValue)] }
            return ResultSet(
                columns: [ResultColumn(name: "Index", kind: .string), ResultColumn(name: "Type", kind: .string)],
                rows: filter(rows, like: like))
        case .variables:
            let names = [
                "autocommit", "collation_connection", "max_allowed_packet", "character_set_client",
                "character_set_connection", "version", "version_comment",
            ]
            let rows: [[Cell]] = names.map { [.string($0), variable($0)] }
            return ResultSet(columns: two, rows: filter(rows, like: like))
        case .status:
            var rows: [[Cell]] = [[.string("version"), .string(ServerInfo.version)]]
            for i in catalog.indexes {
                let st = i.stats()
                rows.append([.string("\(i.name).documents"), .string(String(st.documents))])
            }
            return ResultSet(
                columns: [ResultColumn(name: "Counter", kind: .string), ResultColumn(name: "Value", kind: .string)],
                rows: filter(rows, like: like))
        case .indexStatus(let t):
            // A day table answers for its day. Sphinx refuses the distributed forms; alco
            // answers for the days they read.
            guard let (index, name, _) = listedTable(t) else {
                throw StatementError("SHOW INDEX STATUS requires an existing index")
            }
            let st = index.stats(name.partitions)
            let rows: [[Cell]] = [
                [.string("index_type"), .string("rt")], [.string("indexed_documents"), .string(String(st.documents))],
                [.string("disk_bytes"), .string(String(st.diskBytes))],
                [.string("ram_chunk_segments_count"), .string(String(st.memorySegments))],
                [.string("disk_chunks"), .string(String(st.diskSegments))],
            ]
            return ResultSet(columns: two, rows: filter(rows, like: like))
        case .warnings:
            return ResultSet(columns: [
                ResultColumn(name: "Level", kind: .string), ResultColumn(name: "Code", kind: .int),
                ResultColumn(name: "Message", kind: .string),
            ])
        case .collation:
            return ResultSet(
                columns: ["Collation", "Charset", "Id", "Default", "Compiled", "Sortlen"].map { ResultColumn(name: $0, kind: .string) },
                rows: [["utf8_general_ci", "utf8", "33", "Yes", "Yes", "1"].map(Cell.string)])
        case .characterSet:
            return ResultSet(
                columns: ["Charset", "Description", "Default collation", "Maxlen"].map { ResultColumn(name: $0, kind: .string) },
                rows: [["utf8", "UTF-8 Unicode", "utf8_general_ci", "3"].map(Cell.string)])
        case .threads, .agentStatus, .plan, .profile:
            return ResultSet(columns: two)
        case .createTable(let t):
            _ = try index(t)
            throw StatementError("sphinxql: syntax error, unexpected CREATE, expecting VARIABLES near 'CREATE TABLE \(t)'")
        }
    }

    /// SQL LIKE on the first column: `%` any run, `_` one character.
    func filter(_ rows: [[Cell]], like: String?) -> [[Cell]] {
        guard let like else { return rows }
        let pattern = LikePattern(like)
        return rows.filter { pattern.matches($0.first?.text ?? "") }
    }
}
