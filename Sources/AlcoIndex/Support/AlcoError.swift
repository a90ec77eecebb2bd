/// Every error a user can cause or meet, worded for one line on stderr or an error packet.
public enum AlcoError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownIndex(String)
    case indexExists(String)
    case invalidIndexName(String)
    case invalidSetting(String)
    case query(message: String, position: Int)
    case duplicateID(UInt64, index: String)
    case io(path: String, operation: String, errno: Int32)
    case corruptSegment(name: String, reason: String)
    case corruptWAL(path: String, reason: String)
    case dataDirectoryInUse(path: String, pid: Int32)
    case invalidDocument(String)
    case closed
    /// A query ran past its time limit (partial results are the caller's choice).
    case timedOut(milliseconds: Int)

    public var description: String {
        switch self {
        case .unknownIndex(let name): return "unknown index '\(name)'"
        case .indexExists(let name): return "index '\(name)' already exists"
        case .invalidIndexName(let name):
            return "invalid index name '\(name)': use letters, digits and underscore only"
        case .invalidSetting(let why): return why
        case .query(let message, let position): return "query error at position \(position): \(message)"
        case .duplicateID(let id, let index): return "duplicate id '\(id)' in index '\(index)'"
        case .io(let path, let op, let errno): return "\(op) \(path): \(describeErrno(errno))"
        case .corruptSegment(let name, let reason): return "segment \(name) is corrupt: \(reason)"
        case .corruptWAL(let path, let reason): return "write-ahead log \(path) is corrupt: \(reason)"
        case .dataDirectoryInUse(let path, let pid): return "data directory \(path) is in use by pid \(pid)"
        case .invalidDocument(let why): return "invalid document: \(why)"
        case .closed: return "the index is closed"
        case .timedOut(let ms): return "query time exceeded max_query_time=\(ms) ms"
        }
    }

    /// An operating-system error on a file (for a write: nothing of it was kept).
    public var isIO: Bool {
        if case .io = self { return true }
        return false
    }

    /// A write that failed for want of space: nothing of it was kept, and it may be retried
    /// once space is freed.
    public var isOutOfSpace: Bool {
        if case .io(_, _, let e) = self { return e == ENOSPC || e == EDQUOT }
        return false
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func describeErrno(_ e: Int32) -> String {
    if let s = strerror(e) { return String(cString: s) }
    return "errno \(e)"
}
