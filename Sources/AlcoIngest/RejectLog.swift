import Foundation

/// Says in the server's log what was rejected without flooding it: the first reject of each
/// reason at once, then at most one line per reason per interval, which counts the rejects of
/// that reason held back since the last line. The rejects store keeps every one of them.
public struct RejectLog: Sendable {
    public let interval: TimeInterval
    private var lastLine: [RejectReason: TimeInterval] = [:]
    private var heldBack: [RejectReason: Int] = [:]

    public init(interval: TimeInterval = 60) { self.interval = interval }

    /// The line to log for this reject, or nil when one for its reason was logged less than
    /// `interval` ago.
    public mutating func line(for rejection: Rejection, source: String, index: String?, at now: TimeInterval) -> String? {
        let reason = rejection.reason
        if let last = lastLine[reason], now - last < interval {
            heldBack[reason, default: 0] += 1
            return nil
        }
        let held = heldBack.removeValue(forKey: reason) ?? 0
        lastLine[reason] = now
        var text = "rejected a message from \(source)"
        if let index { text += " for index \(index)" }
        text += ": \(reason.rawValue) (\(rejection.detail))"
        if held > 0 { text += "; \(held) more \(reason.rawValue) since the last such line" }
        return text + "; all rejects are kept under rejects/ in the data directory"
    }
}
