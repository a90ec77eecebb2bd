/// Documents appended per second, counted in one-second windows: background merges read it
/// to tell an ingest at full rate (merge cheaply now, compress hard later) from a steady
/// trickle (compress hard at once). Monotonic nanoseconds in, so clock steps do not matter.
struct AppendRate: Sendable {
    static let window: UInt64 = 1_000_000_000
    private var windowStart: UInt64 = 0
    private var current = 0
    private var previous = 0

    mutating func note(_ count: Int, now: UInt64) {
        roll(now)
        current &+= count
    }

    /// The last whole second's count, or the current second's when that is higher already
    /// (a burst is seen before its first second ends). Zero after a second without appends.
    func perSecond(now: UInt64) -> Int {
        let age = now &- windowStart
        if age >= 2 * AppendRate.window { return 0 }
        if age >= AppendRate.window { return current }
        return max(previous, current)
    }

    private mutating func roll(_ now: UInt64) {
        let age = now &- windowStart
        guard age >= AppendRate.window else { return }
        previous = age < 2 * AppendRate.window ? current : 0
        current = 0
        // Windows stay aligned to the first append, so a steady rate reads steady.
        windowStart = age < 2 * AppendRate.window ? windowStart &+ AppendRate.window : now
    }
}
