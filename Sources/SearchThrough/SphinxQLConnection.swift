import AlcoIndex
import CMariaDB
import Foundation

/// Why a statement sent to the front failed: `server` errors are the front's answer to the
/// statement (a bad query, an agent's error); the others mean the connection is unusable.
public struct FrontError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case server, connection }
    public var kind: Kind
    public var code: UInt32
    public var message: String
    public var description: String { message }
}

/// One statement's answer: column names and rows of text cells (NULL as nil).
public struct FrontRows: Sendable {
    public var columns: [String] = []
    public var rows: [[String?]] = []
}

/// A libmariadb connection to a Sphinx front (searchd's SphinxQL listener). libmariadb is the
/// client users already run against Sphinx (mysqlclient wraps it), handles every wire detail
/// and timeout, and these calls block anyway: they run on the engine's read threads. Not
/// safe to share between threads; `SphinxQLPool` hands each out to one caller at a time.
final class SphinxQLConnection {
    private let handle: UnsafeMutablePointer<MYSQL>

    /// libmariadb's global state, set up once before any thread opens a connection.
    private static let library: Void = { mysql_server_init(0, nil, nil) }()

    init(host: String, port: Int, timeoutSeconds: UInt32) throws {
        _ = Self.library
        guard let h = mysql_init(nil) else {
            throw FrontError(kind: .connection, code: 0, message: "cannot allocate a MySQL client handle")
        }
        handle = h
        var connect = min(timeoutSeconds, 10)
        var io = timeoutSeconds
        mysql_options(h, MYSQL_OPT_CONNECT_TIMEOUT, &connect)
        mysql_options(h, MYSQL_OPT_READ_TIMEOUT, &io)
        mysql_options(h, MYSQL_OPT_WRITE_TIMEOUT, &io)
        guard mysql_real_connect(h, host, "alco", nil, nil, UInt32(clamping: port), nil, 0) != nil else {
            // The handle is closed by deinit, which runs for an initializer that throws
            // once every stored property is set.
            let error = Self.error(h, kind: .connection)
            throw FrontError(kind: .connection, code: error.code, message: "cannot reach the Sphinx front at \(host):\(port): \(error.message)")
        }
    }

    deinit { mysql_close(handle) }

    /// Runs one statement and reads its whole answer.
    func query(_ sql: String) throws -> FrontRows {
        let status = sql.utf8CString.withUnsafeBufferPointer { p in
            mysql_real_query(handle, p.baseAddress, UInt(p.count - 1))
        }
        guard status == 0 else { throw Self.error(handle, kind: nil) }
        guard let result = mysql_store_result(handle) else {
            if mysql_field_count(handle) == 0 { return FrontRows() }  // a statement without rows
            throw Self.error(handle, kind: nil)
        }
        defer { mysql_free_result(result) }
        var out = FrontRows()
        let n = Int(mysql_num_fields(result))
        if let fields = mysql_fetch_fields(result) {
            out.columns = (0..<n).map { String(cString: fields[$0].name) }
        }
        while let row = mysql_fetch_row(result) {
            guard let lengths = mysql_fetch_lengths(result) else { break }
            out.rows.append(
                (0..<n).map { k -> String? in
                    guard let cell = row[k] else { return nil }
                    let bytes = UnsafeRawBufferPointer(start: cell, count: Int(lengths[k]))
                    return String(decoding: bytes, as: UTF8.self)
                })
        }
        return out
    }

    /// The handle's last error; client-side codes (2000 and up: server gone, lost, timed out)
    /// mean the connection cannot be used again.
    private static func error(_ h: UnsafeMutablePointer<MYSQL>, kind: FrontError.Kind?) -> FrontError {
        let code = mysql_errno(h)
        let message = String(cString: mysql_error(h)).trimmingCharacters(in: CharacterSet(charactersIn: "\0"))
        return FrontError(kind: kind ?? (code >= 2000 ? .connection : .server), code: code, message: message)
    }
}

/// A few connections to one front, reused: a search through the front costs its round trip,
/// not a handshake. A connection that failed is dropped, and a statement that found its
/// pooled connection dead (the front restarted) is sent once more on a new one.
public final class SphinxQLPool: @unchecked Sendable {
    public let host: String
    public let port: Int
    let timeoutSeconds: UInt32
    private let lock = ConditionLock()
    private var idle: [SphinxQLConnection] = []
    private let maxIdle = 8

    public init(host: String, port: Int, timeoutSeconds: UInt32 = 30) {
        self.host = host
        self.port = port
        self.timeoutSeconds = timeoutSeconds
    }

    /// Runs statements in order on one connection (a query and its SHOW META).
    public func run(_ statements: [String]) throws -> [FrontRows] {
        var pooled = lock.withLock { idle.popLast() }
        while true {
            let fresh = pooled == nil
            let connection = try pooled ?? SphinxQLConnection(host: host, port: port, timeoutSeconds: timeoutSeconds)
            do {
                let answers = try statements.map { try connection.query($0) }
                lock.withLock { if idle.count < maxIdle { idle.append(connection) } }
                return answers
            } catch let e as FrontError where e.kind == .connection && !fresh {
                pooled = nil  // a pooled connection the front had closed: once more, anew
            } catch let e as FrontError where e.kind == .server {
                lock.withLock { if idle.count < maxIdle { idle.append(connection) } }
                throw e
            }
        }
    }

    public func run(_ statement: String) throws -> FrontRows { try run([statement])[0] }
}
