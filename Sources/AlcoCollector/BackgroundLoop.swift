import Foundation
import Synchronization

/// A named thread that runs until asked to stop; `stop()` waits for it to finish. The
/// collector's consumers, the Redis mirror and list sources each run on one.
final class BackgroundLoop: Sendable {
    private struct State {
        var stopping = false
        var running = false
    }

    private let state = Mutex(State())
    private let done = DispatchSemaphore(value: 0)

    var isStopping: Bool { state.withLock { $0.stopping } }

    func start(name: String, _ body: @escaping @Sendable () -> Void) {
        state.withLock { $0.running = true }
        let t = Thread { [done] in
            body()
            done.signal()
        }
        t.name = name
        t.start()
    }

    /// Asks the loop to end and waits until it has.
    func stop() {
        let wasRunning = state.withLock { s -> Bool in
            s.stopping = true
            return s.running
        }
        if wasRunning { done.wait() }
    }

    /// Sleeps for `seconds`, waking early when asked to stop.
    func pause(_ seconds: Double) {
        let until = Date().addingTimeInterval(seconds)
        while !isStopping && Date() < until { usleep(50_000) }
    }
}
