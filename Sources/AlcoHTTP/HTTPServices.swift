import AlcoAPI
import AlcoIndex
import AlcoIngest
import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import Prometheus

/// What the HTTP routes work on: the catalog, the rejects store, limits, and the counters
/// `/metrics` exports.
public struct HTTPServices: Sendable {
    public let catalog: Catalog
    public let rejects: RejectStore
    public var maxBodyBytes = 64 << 20
    /// The counters of running sources (RabbitMQ, Redis lists): index, source name, counters.
    public var sourceMetrics: @Sendable () -> [(index: String, source: String, metrics: SourceStatus)] = { [] }
    /// Called after an index is created over HTTP (the collector starts consuming for it) and
    /// before one is dropped (its consumers stop first).
    public var indexCreated: @Sendable (LogIndex) -> Void = { _ in }
    public var indexDropping: @Sendable (String) -> Void = { _ in }
    /// Who may use the API and UI; `/health` is always open.
    public var auth = HTTPAuth()
    /// Which hosts requests may name, and cross-site writes refused (see `RequestGuard`).
    public var requestGuard = RequestGuard()
    public let shortcuts: ShortcutStore
    /// The index a read names: this node's engine by default; with `--search-through`, every
    /// node's lines through a Sphinx front.
    public var reader: @Sendable (String) -> (any IndexReader)?
    /// With `--search-through`: how the live tail follows an index's lines as they are
    /// published (a RabbitMQ feed), or why it cannot. Nil: it follows this node's arrivals.
    public var publishedLines: (@Sendable (String) throws -> any PublishedLines)?
    /// Set when the server stops, so endless answers (live tails) end and shutdown can finish.
    public let stopping = StopFlag()
    let ingestCounters = IngestCounters()
    /// What the process records through swift-metrics (the latency histograms, connection
    /// gauges); `/metrics` shows it before the figures read from the catalog and sources.
    public var metricsRegistry: PrometheusCollectorRegistry?
    /// The server's log: each request at debug level, with its id.
    public var logger = Logger(label: "alco.http") { _ in SwiftLogNoOpLogHandler() }

    /// - Parameter shortcuts: where saved searches are kept; by default `shortcuts.json` in the
    ///   catalog's directory.
    public init(catalog: Catalog, rejects: RejectStore, shortcuts: ShortcutStore? = nil) {
        self.catalog = catalog
        self.rejects = rejects
        self.shortcuts = shortcuts ?? ShortcutStore(path: catalog.directory + "/shortcuts.json")
        reader = { name in catalog.indexIfExists(name).map(LocalIndexReader.init) }
    }
}

/// A flag set once, read from any thread.
public final class StopFlag: @unchecked Sendable {
    private let lock = ConditionLock()
    private var value = false

    public init() {}
    public var isSet: Bool { lock.withLock { value } }
    public func set() { lock.withLock { value = true } }
}

/// Lines received, stored and rejected over HTTP, per index.
final class IngestCounters: @unchecked Sendable {
    struct Counts {
        var received = 0
        var stored = 0
        /// By reason: the decoder's (`malformed_json`, …), or what a bulk item was refused for.
        var rejected: [String: Int] = [:]
        var requests = 0
    }

    private let lock = ConditionLock()
    private var byIndex: [String: Counts] = [:]

    func add(_ index: String, stored: Int, rejected: [String: Int]) {
        lock.withLock {
            var c = byIndex[index] ?? Counts()
            c.received += stored + rejected.values.reduce(0, +)
            c.stored += stored
            c.rejected.merge(rejected, uniquingKeysWith: +)
            c.requests += 1
            byIndex[index] = c
        }
    }

    var snapshot: [String: Counts] { lock.withLock { byIndex } }
}

/// The threads blocking engine work runs on, off the async executors: bounded pools, not
/// Dispatch's global queue (which grows a thread per blocked call, up to 64 on 2 cores).
/// Reads get one thread per core; writes, which mostly wait for the WAL's group fsync, more,
/// so many shippers' batches share one fsync without taking the readers' threads.
enum EngineThreads {
    static let reads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: max(2, NIOCore.System.coreCount))
        pool.start()
        return pool
    }()

    static let writes: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 16)
        pool.start()
        return pool
    }()
}

/// Runs blocking reads (a search, a description) on the read threads; a query the reader
/// refuses is a 400 `bad_query`, a Sphinx front that cannot answer a 502.
func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    do {
        return try await EngineThreads.reads.runIfActive(work)
    } catch let e as AlcoError {
        switch e {
        case .query, .invalidSetting: throw APIError(status: .badRequest, error: "bad_query", detail: e.description)
        default: throw e
        }
    } catch let e as ReaderUnavailable {
        throw APIError(status: .badGateway, error: "front_unavailable", detail: e.description)
    } catch let e as ReaderNotFound {
        throw APIError.notFound(e.description)
    }
}

/// Runs a durable write on the write threads; one the engine could not make durable is a 507
/// or 500 with the reason (see `APIError.storage`).
func offloadWrite<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    do {
        return try await EngineThreads.writes.runIfActive(work)
    } catch let e as AlcoError where e.isIO {
        throw APIError.storage(e)
    }
}

/// Runs a search off the async executors, and `then` on its result there too (encoding a
/// page beside the search); a query or window the engine refuses is a 400 `bad_query`.
func runSearch<T: Sendable>(
    _ request: SearchRequest, in index: any IndexReader,
    then: @escaping @Sendable (SearchResult) -> T
) async throws -> T {
    try await offload {
        let result = try index.search(request)
        // An API answer is whole or an error: a page cut short by the time limit would
        // read as "no more lines".
        if result.timedOut { throw APIError.timedOut(result.elapsedNanoseconds) }
        return then(result)
    }
}

func runSearch(_ request: SearchRequest, in index: any IndexReader) async throws -> SearchResult {
    try await runSearch(request, in: index) { $0 }
}
