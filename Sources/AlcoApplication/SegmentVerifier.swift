import AlcoIndex
import Foundation
import Logging
import Synchronization

/// `alco serve`'s background check of every persisted segment (`--verify-rate` MB/s): a pass
/// soon after start, then one a day, reading at most that fast so the disk stays the
/// queries'. A damaged segment is quarantined by name and logged as an error; its lines are no
/// longer served.
final class SegmentVerifier: Sendable {
    struct Stopped: Error {}

    let catalog: Catalog
    let bytesPerSecond: Int
    let logger: Logger
    /// The first pass waits this long, so a start's own work (replay, the first flushes) goes first.
    static let firstPassDelaySeconds = 10.0
    static let passIntervalSeconds = 86_400.0
    private let stopping = Mutex(false)
    private let done = DispatchSemaphore(value: 0)

    init(catalog: Catalog, megabytesPerSecond: Int, logger: Logger) {
        self.catalog = catalog
        self.bytesPerSecond = megabytesPerSecond << 20
        self.logger = logger
    }

    func start() {
        let t = Thread { [self] in
            defer { done.signal() }
            var wait = Self.firstPassDelaySeconds
            while sleep(seconds: wait) {
                guard (try? pass()) != nil else { return }
                wait = Self.passIntervalSeconds
            }
        }
        t.name = "alco.verify"
        t.start()
    }

    /// Ends the pass under way (between two chunks) and waits for the thread.
    func stop() {
        stopping.withLock { $0 = true }
        done.wait()
    }

    private var isStopping: Bool { stopping.withLock { $0 } }

    /// Sleeps in short steps; false once asked to stop.
    private func sleep(seconds: Double) -> Bool {
        let until = Date().addingTimeInterval(seconds)
        while Date() < until {
            if isStopping { return false }
            usleep(UInt32(min(100_000, max(1_000, until.timeIntervalSinceNow * 1e6))))
        }
        return !isStopping
    }

    /// One pass over every index; throws `Stopped` when the server stops meanwhile.
    func pass() throws {
        let started = Date()
        var pacer = IOPacer(bytesPerSecond: bytesPerSecond)
        var total = 0
        var damaged = 0
        for index in catalog.indexes {
            let result = try index.verifySegments { n in
                let delay = pacer.delay(after: n)
                if delay > 0 && !sleep(seconds: Double(delay) / 1e9) { throw Stopped() }
                if isStopping { throw Stopped() }
            }
            total += result.bytes
            damaged += result.damaged.count
            for name in result.damaged {
                logger.error("segment \(name) of index \(index.name) is damaged: moved to quarantine/, its lines are no longer served")
            }
        }
        logger.info(
            "verified the checksums of every segment: \(total >> 20) MB in \(String(format: "%.1f", Date().timeIntervalSince(started))) s, \(damaged) damaged"
        )
    }
}
