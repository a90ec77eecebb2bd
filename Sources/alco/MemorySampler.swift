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
        // Read and scanned as bytes: a String per sample cost more than the sampling is for.
        let fd = open("/proc/self/status", O_RDONLY)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return }
        let text = buffer[..<n]
        let now = Peaks(anonymous: Self.kilobytes("RssAnon:", in: text) * 1024, fileBacked: Self.kilobytes("RssFile:", in: text) * 1024)
        peaks.withLock {
            $0.anonymous = max($0.anonymous, now.anonymous)
            $0.fileBacked = max($0.fileBacked, now.fileBacked)
        }
    }

    /// The number after `key` at the start of a line (`RssAnon:   1234 kB`), 0 when absent.
    static func kilobytes(_ key: StaticString, in text: ArraySlice<UInt8>) -> Int {
        let k = UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        var i = text.startIndex
        while i < text.endIndex {
            let lineEnd = text[i...].firstIndex(of: 10) ?? text.endIndex
            if lineEnd - i > k.count, text[i..<(i + k.count)].elementsEqual(k) {
                var value = 0
                for byte in text[(i + k.count)..<lineEnd] where (48...57).contains(byte) { value = value &* 10 &+ Int(byte - 48) }
                return value
            }
            i = lineEnd + 1
        }
        return 0
    }
}
