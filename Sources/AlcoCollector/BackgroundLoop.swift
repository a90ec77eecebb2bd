import AlcoIndex
import Foundation

/// A named thread that runs until asked to stop; `stop()` waits for it to finish. The
/// collector's consumers, the Redis mirror and list sources each run on one.
final class BackgroundLoop: @unchecked Sendable {
    private let lock = ConditionLock()
    private var stopping = false
    private var running = false
    private let done = DispatchSemaphore(value: 0)

    var isStopping: Bool { lock.withLock { stopping } }

    func start(name: String, _ body: @escaping @Sendable () -> Void) {
        lock.withLock { running = true }
        let t = Thread { [done] in
            body()
            done.signal()
        }
        t.name = name
        t.start()
    }

    /// Asks the loop to end and waits until it has.
    func stop() {
        let wasRunning = lock.withLock { () -> Bool in
            stopping = true
            return running
        }
        if wasRunning { done.wait() }
    }

    /// Sleeps for `seconds`, waking early when asked to stop.
    func pause(_ seconds: Double) {
        let until = Date().addingTimeInterval(seconds)
        while !isStopping && Date() < until { usleep(50_000) }
    }
}
