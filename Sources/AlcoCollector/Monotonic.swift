import Dispatch

/// Milliseconds on a clock that never goes back (the consumers' batch delays and depth checks
/// must not jump with the wall clock).
enum Monotonic {
    static func milliseconds() -> Int64 { Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000) }
}
