import Dispatch

/// Holds a reader to a rate: after each chunk it says how long to sleep so that the bytes
/// read so far, over the time since the start, stay at or under `bytesPerSecond`.
public struct IOPacer: Sendable {
    public let bytesPerSecond: Int
    private let start: UInt64
    private var bytes = 0

    public init(bytesPerSecond: Int, now: UInt64 = DispatchTime.now().uptimeNanoseconds) {
        self.bytesPerSecond = max(1, bytesPerSecond)
        self.start = now
    }

    /// Nanoseconds to sleep after `n` more bytes were read, at `now`.
    public mutating func delay(after n: Int, now: UInt64 = DispatchTime.now().uptimeNanoseconds) -> UInt64 {
        bytes = bytes &+ max(0, n)
        // Where the reader may be by now: bytes / rate seconds after the start.
        let due = UInt64(Double(bytes) / Double(bytesPerSecond) * 1e9)
        let elapsed = now &- start
        return due > elapsed ? due - elapsed : 0
    }
}
