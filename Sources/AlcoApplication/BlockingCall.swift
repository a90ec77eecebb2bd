import Foundation

/// Runs a call that blocks (a listener's stop, a catalog's close and its flush) on a thread
/// of its own, so it never holds one of the few threads Swift's concurrency runs tasks on.
func blockingCall<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = name
        thread.start()
    }
}
