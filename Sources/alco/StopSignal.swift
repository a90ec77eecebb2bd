import AlcoApplication
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
            FileHandle.standardOutput.write(Data("alco: second stop signal; exiting now (acknowledged writes are in the WAL)\n".utf8))
            _exit(1)
        }
        second.name = "alco.stop.second"
        second.start()
    }
}
