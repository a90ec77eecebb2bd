/// One log line: a time-ordered id, the message (full-text indexed and stored), `js`, a JSON
/// object text with every other attribute of the record, stored exactly as given, and the
/// message pattern the index gave it (kept beside js, not in it: see `presentedJS`).
public struct Document: Equatable, Sendable {
    public var id: UInt64
    public var logline: String
    public var js: String
    public var pattern: UInt32?

    public init(id: UInt64, logline: String, js: String = "{}", pattern: UInt32? = nil) {
        self.id = id
        self.logline = logline
        self.js = js
        self.pattern = pattern
    }

    /// js as readers see it: with the pattern as its last member (`"pattern":"12"`), the
    /// attribute that `pattern` filters and GROUP BY read.
    public var presentedJS: String {
        guard let pattern else { return js }
        return Document.appendingPattern(pattern, to: js)
    }

    /// js with `"pattern":"ID"` as its last member: one copy of the text, written in place
    /// (cheaper than String's own edits, which go by characters). Documents given a pattern
    /// have none of their own (their decoders write a producer's as `pattern_x`).
    static func appendingPattern(_ id: UInt32, to js: String) -> String {
        var js = js
        let added = js.withUTF8 { b -> String? in
            guard let base = b.baseAddress, b.count >= 2, b[b.count - 1] == UInt8(ascii: "}") else { return nil }
            var end = b.count - 1  // the closing brace
            while end > 1, b[end - 1] == 0x20 || b[end - 1] == 0x09 || b[end - 1] == 0x0a || b[end - 1] == 0x0d { end -= 1 }
            let comma = b[end - 1] != UInt8(ascii: "{")
            let key: StaticString = "\"pattern\":\""
            var digits = 1
            var rest = id / 10
            while rest > 0 { (digits, rest) = (digits + 1, rest / 10) }
            let total = end + (comma ? 1 : 0) + key.utf8CodeUnitCount + digits + 2
            return String(unsafeUninitializedCapacity: total) { out in
                let o = UnsafeMutableRawPointer(out.baseAddress!)
                o.copyMemory(from: base, byteCount: end)
                var at = end
                if comma { (out[at], at) = (UInt8(ascii: ","), at + 1) }
                (o + at).copyMemory(from: key.utf8Start, byteCount: key.utf8CodeUnitCount)
                at += key.utf8CodeUnitCount
                var value = id
                for k in stride(from: at + digits - 1, through: at, by: -1) { (out[k], value) = (UInt8(ascii: "0") + UInt8(value % 10), value / 10) }
                at += digits
                (out[at], out[at + 1]) = (UInt8(ascii: "\""), UInt8(ascii: "}"))
                return total
            }
        }
        return added ?? js
    }

    /// Approximate bytes a buffered document holds (text plus bookkeeping), for flush thresholds.
    var bufferCost: Int { logline.utf8.count + js.utf8.count + 56 }

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
