import Foundation
import Synchronization

/// Samples the process's resident memory every 50 ms on its own thread and keeps the peaks
/// of anonymous memory (what the process allocated) and of file-backed memory (mapped segment
/// and input files, which the kernel drops whenever it needs the room) apart: the kernel's
/// VmHWM adds the two, so a run that maps a large file looks as if it allocated it.
final class MemorySampler: Sendable {
    struct Peaks {
        var anonymous = 0
        var fileBacked = 0
    }

    private let peaks = Mutex(Peaks())
    private let running = Atomic<Bool>(true)

    init() {
        let thread = Thread { [self] in
            while running.load(ordering: .relaxed) {
                sample()
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        thread.start()
    }

    /// The peaks so far, including a sample taken now.
    func current() -> Peaks {
        sample()
        return peaks.withLock { $0 }
    }

    func stop() { running.store(false, ordering: .relaxed) }

    private func sample() {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return }
        var now = Peaks()
        for line in text.split(separator: "\n") {
            let kb = { line.split(separator: " ").compactMap { Int($0) }.first ?? 0 }
            if line.hasPrefix("RssAnon:") { now.anonymous = kb() * 1024 }
            if line.hasPrefix("RssFile:") { now.fileBacked = kb() * 1024 }
        }
        peaks.withLock {
            $0.anonymous = max($0.anonymous, now.anonymous)
            $0.fileBacked = max($0.fileBacked, now.fileBacked)
        }
    }
}
