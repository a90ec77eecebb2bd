import AlcoCollector
import AlcoIndex
import AlcoIngest
import Dispatch
import Foundation

/// What the HTTP routes work on: the catalog, the rejects store, limits, and the counters
/// `/metrics` exports.
public struct HTTPServices: Sendable {
    public let catalog: Catalog
    public let rejects: RejectStore
    public var maxBodyBytes = 64 << 20
    /// The counters of running sources (RabbitMQ, Redis lists): index, source name, counters.
    public var sourceMetrics: @Sendable () -> [(index: String, source: String, metrics: CollectorMetrics.Snapshot)] = { [] }
    let ingestCounters = IngestCounters()

    public init(catalog: Catalog, rejects: RejectStore) {
        self.catalog = catalog
        self.rejects = rejects
    }
}

/// Lines received, stored and rejected over HTTP, per index.
final class IngestCounters: @unchecked Sendable {
    struct Counts {
        var received = 0
        var stored = 0
        var rejected = 0
        var requests = 0
    }

    private let lock = ConditionLock()
    private var byIndex: [String: Counts] = [:]

    func add(_ index: String, received: Int, stored: Int, rejected: Int) {
        lock.withLock {
            var c = byIndex[index] ?? Counts()
            c.received += received
            c.stored += stored
            c.rejected += rejected
            c.requests += 1
            byIndex[index] = c
        }
    }

    var snapshot: [String: Counts] { lock.withLock { byIndex } }
}

/// Runs blocking engine work (an fsync-waiting append, a search) off the async executors.
func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try work() })
        }
    }
}
