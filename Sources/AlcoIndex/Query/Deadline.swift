/// When a query must stop (Sphinx's `max_query_time`, and the server's own bound): checked
/// before each segment, between the windows of a tail, and per stored line a grep verifies,
/// so one query cannot hold a thread for longer than it was given.
public struct Deadline: Sendable {
    /// Monotonic nanoseconds; `.max` never passes.
    let end: UInt64
    let milliseconds: Int
    /// Also passed once the process has checked this many more bytes of segment pages (read
    /// for the first time since they opened, so likely from disk): `PageVerifier.totalVerified`
    /// at most this value. `.max`: no such bound.
    var coldReadEnd = Int.max

    public static let none = Deadline(end: .max, milliseconds: 0)

    init(end: UInt64, milliseconds: Int) {
        self.end = end
        self.milliseconds = milliseconds
    }

    /// `milliseconds` after `start` (saturating: a huge limit is no limit); with
    /// `coldReadBytes`, also once that many bytes of never-read pages were read.
    public init(milliseconds: Int?, from start: UInt64 = DispatchTimeLike.now(), coldReadBytes: Int? = nil) {
        if let ms = milliseconds, ms > 0 {
            let (ns, overflow) = UInt64(ms).multipliedReportingOverflow(by: 1_000_000)
            let (sum, overflow2) = start.addingReportingOverflow(ns)
            self.init(end: overflow || overflow2 ? .max : sum, milliseconds: ms)
        } else {
            self = .none
        }
        if let cold = coldReadBytes {
            let (sum, overflow) = PageVerifier.totalVerified.load(ordering: .relaxed).addingReportingOverflow(max(0, cold))
            coldReadEnd = overflow ? .max : sum
        }
    }

    public var hasPassed: Bool {
        (end != .max && DispatchTimeLike.now() >= end)
            || (coldReadEnd != .max && PageVerifier.totalVerified.load(ordering: .relaxed) > coldReadEnd)
    }

    public func check() throws {
        if hasPassed { throw AlcoError.timedOut(milliseconds: milliseconds) }
    }
}
