import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Posted from the signal handler: `sem_post` is async-signal-safe, and waiting on it needs no
/// dispatch thread, so a stop is seen even when every worker thread is busy. A pointer, not a
/// global variable: the handler may interrupt `sem_wait` on the same thread, and Swift's
/// exclusivity checks would see two overlapping accesses to a variable.
nonisolated(unsafe) private let stopSignals: UnsafeMutablePointer<sem_t> = {
    let s = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    sem_init(s, 0, 0)
    return s
}()

/// SIGINT and SIGTERM, turned into a wait. A second signal while stopping ends the process
/// at once: every write that was acknowledged is already in the fsynced WAL.
final class StopSignal {
    init() {
        _ = stopSignals  // initialised here, never lazily inside the handler
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in sem_post(stopSignals) }
        sigemptyset(&action.sa_mask)
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGINT, SIGTERM] {
            sigaction(sig, &action, nil)
            sigaddset(&set, sig)
        }
        // A parent may have started us with these blocked (the mask is inherited): threads
        // made from here on inherit this thread's mask, so they can all take the signal.
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Returns after the first SIGINT or SIGTERM.
    func wait() {
        while sem_wait(stopSignals) != 0 && errno == EINTR {}
        let second = Thread {
            while sem_wait(stopSignals) != 0 && errno == EINTR {}
            Serve.printLine("alco: second stop signal; exiting now (acknowledged writes are in the WAL)")
            _exit(1)
        }
        second.name = "alco.stop.second"
        second.start()
    }
}

/// Says what the process is doing on its way out, and which part is slow if one is, so a
/// shutdown that hangs names the component holding it.
final class ShutdownProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var phase = "starting to stop"
    private var phaseStarted = Date()
    private var finished = false
    private let reportAfter: TimeInterval

    init(reportAfter: TimeInterval = 10) {
        self.reportAfter = reportAfter
        let t = Thread { [self] in watch() }
        t.name = "alco.stop.watch"
        t.start()
    }

    func enter(_ name: String) {
        lock.withLock {
            phase = name
            phaseStarted = Date()
        }
        Serve.printLine("alco: stopping \(name)")
    }

    func finish() { lock.withLock { finished = true } }

    private func watch() {
        var reported = ""
        while true {
            Thread.sleep(forTimeInterval: 1)
            let (name, started, done) = lock.withLock { (phase, phaseStarted, finished) }
            if done { return }
            let waited = Date().timeIntervalSince(started)
            let key = "\(name)/\(Int(waited / reportAfter))"
            if waited >= reportAfter && key != reported {
                reported = key
                Serve.printLine("alco: still stopping \(name) after \(Int(waited)) s")
            }
        }
    }
}
