import Foundation
import Logging

/// Says what the process is doing on its way out, and which part is slow if one is, so a
/// shutdown that hangs names the component holding it.
public final class ShutdownProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var phase = "starting to stop"
    private var phaseStarted = Date()
    private var finished = false
    private var watching = false
    private let reportAfter: TimeInterval

    private let logger: Logger

    public init(logger: Logger, reportAfter: TimeInterval = 10) {
        self.logger = logger
        self.reportAfter = reportAfter
    }

    /// The process is now stopping `name` (the watch starts with the first).
    public func enter(_ name: String) {
        let first = lock.withLock { () -> Bool in
            defer { watching = true }
            phase = name
            phaseStarted = Date()
            return !watching
        }
        if first {
            let t = Thread { [self] in watch() }
            t.name = "alco.stop.watch"
            t.start()
        }
        logger.info("stopping \(name)")
    }

    public func finish() { lock.withLock { finished = true } }

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
                logger.warning("still stopping \(name) after \(Int(waited)) s")
            }
        }
    }
}
