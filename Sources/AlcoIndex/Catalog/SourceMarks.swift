/// Where a source that reads a stream of its own (a followed file) has got to, stored with the
/// batch it completes so that batch and position are durable in one write: after a crash the
/// source resumes exactly where what was stored ends. The value is the source's own text.
public struct SourceMark: Equatable, Sendable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// The marks of an index by key, with the LSN of the record that set each. A manifest may hold
/// only marks at or below its checkpoint (later ones are in the WAL, and may not be durable
/// yet), so each key keeps its last value at or below the checkpoint and every newer one.
struct SourceMarks: Sendable {
    private var history: [String: [(lsn: UInt64, value: String)]] = [:]

    /// Longest a key is; a mark is a source's position, not data.
    static let maxKeyBytes = 1024
    static let maxValueBytes = 1 << 20

    mutating func record(_ mark: SourceMark, lsn: UInt64) {
        history[mark.key, default: []].append((lsn, mark.value))
    }

    /// Takes back a mark whose record never became durable.
    mutating func forget(lsn: UInt64) {
        for key in Array(history.keys) {
            history[key]!.removeAll { $0.lsn == lsn }
            if history[key]!.isEmpty { history[key] = nil }
        }
    }

    func latest(_ key: String) -> String? { history[key]?.last?.value }

    var keys: [String] { history.keys.sorted() }

    /// Each key's last value set at or below `lsn`.
    func asOf(_ lsn: UInt64) -> [String: String] {
        var out: [String: String] = [:]
        for (key, values) in history {
            if let v = values.last(where: { $0.lsn <= lsn }) { out[key] = v.value }
        }
        return out
    }

    /// Drops values older than the last one at or below the checkpoint: no manifest or
    /// replay can need them.
    mutating func prune(upTo checkpoint: UInt64) {
        for key in Array(history.keys) {
            let values = history[key]!
            if let keep = values.lastIndex(where: { $0.lsn <= checkpoint }), keep > 0 {
                history[key] = Array(values[keep...])
            }
        }
    }
}
