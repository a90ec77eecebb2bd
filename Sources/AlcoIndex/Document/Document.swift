/// One log line: a time-ordered id, the message (full-text indexed and stored) and `js`, a JSON
/// object text with every other attribute of the record, stored exactly as given.
public struct Document: Equatable, Sendable {
    public var id: UInt64
    public var logline: String
    public var js: String

    public init(id: UInt64, logline: String, js: String = "{}") {
        self.id = id
        self.logline = logline
        self.js = js
    }

    /// Approximate bytes a buffered document holds (text plus bookkeeping), for flush thresholds.
    var bufferCost: Int { logline.utf8.count + js.utf8.count + 48 }

    /// Microseconds since the epoch encoded in the id.
    public var microseconds: Int64 { DocumentID.microseconds(of: id) }
}

/// Ids are µs since the epoch × 1000 + a per-µs sequence, so `ORDER BY id` is time order.
public enum DocumentID {
    public static let perMicrosecond: UInt64 = 1000

    /// The latest time an id can hold (2554-07-21T23:34:33.709551Z): its first id plus 999
    /// sequence numbers still fit in 64 bits.
    public static let maxMicroseconds = Int64(UInt64.max / perMicrosecond) - 1

    /// Whether a time in µs has ids: from the epoch to `maxMicroseconds`.
    public static func canHold(microseconds us: Int64) -> Bool { us >= 0 && us <= maxMicroseconds }

    /// The id of a time and sequence; times outside `canHold` saturate to the first or last
    /// time (for query bounds; documents at such times are rejected before they get an id).
    public static func make(microseconds: Int64, sequence: UInt64 = 0) -> UInt64 {
        UInt64(min(max(0, microseconds), maxMicroseconds)) * perMicrosecond + min(sequence, perMicrosecond - 1)
    }

    public static func microseconds(of id: UInt64) -> Int64 { Int64(id / perMicrosecond) }

    /// The smallest id at or after a time in µs.
    public static func lowerBound(microseconds: Int64) -> UInt64 { make(microseconds: microseconds) }

    /// Nodes of a cluster (`alco serve --node N`) split the ids: node N assigns only ids with
    /// `id % maxNodes == N`, so no two nodes assign the same id, and every id still sits at
    /// its line's microsecond (up to 15 lines of one node per microsecond; more spill into the
    /// next, as lines past 1000 do on a standalone server).
    public static let maxNodes = 64
}
