/// When a query must stop (Sphinx's `max_query_time`, and the server's own bound): checked
/// before each segment, between the windows of a tail, and per stored line a grep verifies,
/// so one query cannot hold a thread for longer than it was given.
public struct Deadline: Sendable {
    /// Monotonic nanoseconds; `.max` never passes.
    let end: UInt64
    let milliseconds: Int

    public static let none = Deadline(end: .max, milliseconds: 0)

    init(end: UInt64, milliseconds: Int) {
        self.end = end
        self.milliseconds = milliseconds
    }

    /// `milliseconds` after `start` (saturating: a huge limit is no limit).
    public init(milliseconds: Int?, from start: UInt64 = DispatchTimeLike.now()) {
        guard let ms = milliseconds, ms > 0 else {
            self = .none
            return
        }
        let (ns, overflow) = UInt64(ms).multipliedReportingOverflow(by: 1_000_000)
        let (sum, overflow2) = start.addingReportingOverflow(ns)
        self.init(end: overflow || overflow2 ? .max : sum, milliseconds: ms)
    }

    public var hasPassed: Bool { end != .max && DispatchTimeLike.now() >= end }

    public func check() throws {
        if hasPassed { throw AlcoError.timedOut(milliseconds: milliseconds) }
    }
}
