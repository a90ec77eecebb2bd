import AlcoIndex
import Foundation
import Logging

/// Mirrors the distinct values of filtered columns into Redis under ALCO's keys
/// (`ZADD ALCO:VALUES:<index>:<column> <unix time> <value>`), so tools that read ALCO's Redis
/// keep working. It runs on its own thread from the column registry's snapshot: a slow or
/// absent Redis never slows ingestion; it only retries.
public final class RedisMirror: @unchecked Sendable {
    let catalog: Catalog
    let url: RedisURL
    let interval: TimeInterval
    let logger: Logger
    private let loop = BackgroundLoop()
    /// What Redis already has: index → column → value → time sent.
    private var sent: [String: [String: [String: Int64]]] = [:]

    public init(catalog: Catalog, url: RedisURL, interval: TimeInterval = 1, logger: Logger) {
        self.catalog = catalog
        self.url = url
        self.interval = interval
        self.logger = logger
    }

    public static func key(index: String, column: String) -> String { "ALCO:VALUES:\(index):\(column)" }

    public func start() { loop.start(name: "alco.redis.mirror") { [self] in run() } }

    public func stop() { loop.stop() }

    private func run() {
        var connection: RedisConnection?
        var backoff = interval
        var lastError = ""
        while !loop.isStopping {
            do {
                if connection == nil { connection = try RedisConnection(url: url) }
                try syncOnce(connection!)
                backoff = interval
                lastError = ""
            } catch {
                connection = nil
                if "\(error)" != lastError {
                    logger.warning("redis mirror: \(error); retrying in the background")
                    lastError = "\(error)"
                }
                backoff = min(backoff * 2, 30)
            }
            loop.pause(backoff)
        }
    }

    /// Sends every value whose last-seen time moved since the last sync.
    func syncOnce(_ connection: RedisConnection) throws {
        var commands: [[String]] = []
        var pending: [(index: String, column: String, value: String, time: Int64)] = []
        for index in catalog.indexes {
            for column in index.columns.all where column.filtered {
                let values = index.columns.values(of: column.name).lastSeen
                let already = sent[index.name]?[column.name] ?? [:]
                var args = ["ZADD", RedisMirror.key(index: index.name, column: column.name)]
                for (value, time) in values where already[value] != time {
                    args += [String(time), value]
                    pending.append((index.name, column.name, value, time))
                }
                if args.count > 2 { commands.append(args) }
            }
        }
        guard !commands.isEmpty else { return }
        for reply in try connection.pipeline(commands) {
            if case .error(let e) = reply { throw CollectorError.broker("redis ZADD: \(e)", code: 0) }
        }
        for p in pending { sent[p.index, default: [:]][p.column, default: [:]][p.value] = p.time }
    }
}
