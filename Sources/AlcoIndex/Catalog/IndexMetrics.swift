import CoreMetrics
import Dispatch

/// The engine's latency histograms for one index, through swift-metrics: whatever backend the
/// process bootstrapped (alco serve: Prometheus) gets them, and without one they cost nothing.
/// Made once per index, so the hot paths never look a metric up by name.
struct IndexMetrics: Sendable {
    /// One fsync of the write-ahead log (a group commit).
    let walSync: CoreMetrics.Timer
    /// The realtime buffer turned into immutable segments.
    let seal: CoreMetrics.Timer
    /// In-memory segments and tombstones written to disk with their manifest.
    let flush: CoreMetrics.Timer
    /// One merge, from reading its sources to installing the result.
    let merge: CoreMetrics.Timer
    /// A retention pass (one a minute per index, dropping whatever days fell out).
    let retention: CoreMetrics.Timer

    init(index: String) {
        let labels = [("index", index)]
        walSync = CoreMetrics.Timer(label: "alco_wal_fsync_duration_seconds", dimensions: labels)
        seal = CoreMetrics.Timer(label: "alco_seal_duration_seconds", dimensions: labels)
        flush = CoreMetrics.Timer(label: "alco_flush_duration_seconds", dimensions: labels)
        merge = CoreMetrics.Timer(label: "alco_merge_duration_seconds", dimensions: labels)
        retention = CoreMetrics.Timer(label: "alco_retention_pass_duration_seconds", dimensions: labels)
    }
}

extension CoreMetrics.Timer {
    /// Runs `body` and records how long it took, whether it returned or threw.
    @inline(__always)
    func time<T>(_ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { recordNanoseconds(since: start) }
        return try body()
    }

    /// Records the time since `start` (a `DispatchTime` uptime in nanoseconds); every
    /// module's timings go through here.
    @inline(__always)
    public func recordNanoseconds(since start: UInt64) {
        recordNanoseconds(Int64(clamping: DispatchTime.now().uptimeNanoseconds &- start))
    }
}
