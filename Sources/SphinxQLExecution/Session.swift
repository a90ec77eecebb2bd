import AlcoIndex
import Dispatch
import SphinxQL

/// What a statement gives the client: rows, or an OK with affected rows.
public enum StatementOutcome: Equatable, Sendable {
    case rows(ResultSet)
    case ok(affected: Int)
}

/// Fixed facts the server reports about itself.
public enum ServerInfo {
    /// MySQL-style so every client accepts it (connector-python wants >= 4.1, Django parses
    /// \d+.\d+.\d+), and naming alco.
    public static let version = "5.7.99-alco-0.1.0"
    public static let versionComment = "alco (SphinxQL compatible with Sphinx 2.2.11)"
}

/// One client connection's SphinxQL state: autocommit and the writes of an open transaction,
/// session variables, and the meta of the last SELECT (for SHOW META).
public final class Session {
    public let catalog: Catalog
    public internal(set) var autocommit = true
    var pendingWrites: [(index: LogIndex, docs: [NewDocument], replace: Bool)] = []
    var pendingDeletes: [(index: LogIndex, ids: [UInt64])] = []
    public internal(set) var lastMeta: QueryMeta?
    var variables: [String: String] = [:]
    /// What the open transaction holds, bounded: writes wait in memory until COMMIT.
    var pendingBytes = 0
    var pendingIDs = 0
    static let maxTransactionBytes = 256 << 20
    static let maxTransactionRows = 1_000_000
    static let maxVariables = 1024
    static let maxVariableBytes = 64 << 10
    public var user = "alco"
    public var database: String?
    /// The time statements may take (the server's bound, and the inline budget while run on
    /// an event loop).
    public var timeLimits = TimeLimits()
    /// Set when the last batch stopped because a statement ran out of its inline budget: the
    /// caller runs the batch again off the event loop, without one.
    public private(set) var needsHandOff = false
    /// Where statements are logged (the slow ones, and all of them at debug level); nil: nowhere.
    public var statementLog: StatementLog?
    /// Statements this connection has run, which numbers them in the log.
    var statementsRun: UInt64 = 0

    public init(catalog: Catalog) { self.catalog = catalog }

    /// Whether a transaction holds writes not yet committed.
    public var hasPendingWrites: Bool { !pendingWrites.isEmpty || !pendingDeletes.isEmpty }

    /// Back to a fresh connection's state: the open transaction is dropped, not committed.
    public func reset() {
        pendingWrites = []
        pendingBytes = 0
        pendingIDs = 0
        pendingDeletes = []
        autocommit = true
        variables = [:]
        lastMeta = nil
    }

    /// Runs a batch (`SELECT ...; SHOW META`): one outcome per statement, stopping at the
    /// first error as MySQL does.
    public func execute(batch text: String) -> [Result<StatementOutcome, StatementError>] {
        needsHandOff = false
        var started = DispatchTime.now().uptimeNanoseconds
        let statements: [Statement]
        do {
            statements = try Parser.parseBatch(text)
        } catch {
            let failure = (error as? SphinxQLError)?.description ?? "\(error)"
            observe(kind: "invalid", text: text, nanoseconds: DispatchTime.now().uptimeNanoseconds &- started, error: failure)
            return [.failure(StatementError(failure))]
        }
        var out: [Result<StatementOutcome, StatementError>] = []
        // Observed once the batch is done: one handed off runs again from its start, and each
        // statement must be counted once.
        var observed: [(kind: String, nanoseconds: UInt64, error: String?)] = []
        for s in statements {
            let result: Result<StatementOutcome, StatementError>
            do {
                result = .success(try execute(s))
            } catch is StatementHandOff {
                // Not observed: the batch runs again off the event loop, and is observed there.
                needsHandOff = true
                return []
            } catch let e as StatementError {
                result = .failure(e)
            } catch let e as AlcoError {
                // MySQL's codes for a full disk (ER_DISK_FULL) and other storage failures
                // (ER_GET_ERRNO), not a syntax error: clients retry those.
                let code: UInt16 = e.isOutOfSpace ? 1021 : e.isIO ? 1030 : 1064
                result = .failure(StatementError(e.description, code: code, sqlState: code == 1064 ? "42000" : "HY000"))
            } catch {
                result = .failure(StatementError("\(error)"))
            }
            let failure: String? = if case .failure(let e) = result { e.message } else { nil }
            let now = DispatchTime.now().uptimeNanoseconds
            observed.append((s.kind, now &- started, failure))
            started = now
            out.append(result)
            if failure != nil { break }
        }
        for o in observed { observe(kind: o.kind, text: text, nanoseconds: o.nanoseconds, error: o.error) }
        return out
    }

    public func execute(_ statement: Statement) throws -> StatementOutcome {
        switch statement {
        case .select(let s):
            if s.tables.isEmpty { return .rows(try constantSelect(s)) }
            let (rs, meta) = try SelectExecutor(catalog: catalog, timeLimits: timeLimits).execute(s)
            lastMeta = meta
            return .rows(rs)
        case .show(let kind, let like):
            return .rows(try show(kind, like: like))
        case .describe(let table, let like):
            return .rows(try describe(table, like: like))
        case .set(let name, let value, _):
            try set(name, value)
            return .ok(affected: 0)
        case .setTransaction:
            return .ok(affected: 0)
        case .insert(let table, let columns, let rows, let replace):
            return .ok(affected: try insert(table, columns, rows, replace: replace))
        case .delete(let table, let condition):
            return .ok(affected: try delete(table, condition))
        case .call(let name, let args, let options):
            return .rows(try call(name, args, options))
        case .flushRTIndex(let t):
            try index(t).flush()
            return .ok(affected: 0)
        case .optimizeIndex(let t):
            try index(t).optimize()
            return .ok(affected: 0)
        case .truncateRTIndex(let t):
            try index(t).truncate()
            return .ok(affected: 0)
        case .alterAddColumn(let t, let column, let type):
            // Every attribute is a js key here; adding one declares it ahead of its first
            // value, filtered like the attributes ALCO's config listed.
            let index = try self.index(t)
            let types = ["integer", "int", "uint", "bigint", "float", "bool", "timestamp", "string", "json"]
            guard types.contains(type) else {
                throw StatementError("unknown column type '\(type)' (expected one of \(types.joined(separator: ", ")))")
            }
            guard !["id", "logline", "js"].contains(column.lowercased()) else {
                throw StatementError("'\(column)' column already exists")
            }
            try index.columns.declare(column) { $0.filtered = true }
            return .ok(affected: 0)
        case .alterDropColumn(let t, let column):
            _ = try index(t)
            throw StatementError(
                "columns are the keys of stored js documents and cannot be dropped; "
                    + "hide '\(column)' with `alco index alter \(t) --column \(column) --set display=false`")
        case .reconfigure(let t):
            // Settings apply as soon as they change; there is no config file to re-read.
            _ = try index(t)
            return .ok(affected: 0)
        case .attach(let source, _):
            throw StatementError(
                "ATTACH needs a plain disk index and '\(source)' is not one: alco indexes are all "
                    + "realtime; load lines with INSERT/REPLACE or `alco ingest`")
        case .begin:
            return .ok(affected: 0)
        case .commit:
            try commit()
            return .ok(affected: 0)
        case .rollback:
            pendingWrites = []
            pendingBytes = 0
            pendingIDs = 0
            pendingDeletes = []
            return .ok(affected: 0)
        case .use(let db):
            database = db
            return .ok(affected: 0)
        }
    }

    func index(_ table: String) throws -> LogIndex {
        guard let t = TableName.resolve(table, exists: { catalog.indexIfExists($0) != nil }),
            let index = catalog.indexIfExists(t.index)
        else { throw StatementError("unknown local index '\(table)' in search request") }
        return index
    }
}
