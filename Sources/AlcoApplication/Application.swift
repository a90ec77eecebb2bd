import AlcoAPI
import AlcoCollector
import AlcoHTTP
import AlcoIndex
import AlcoIngest
import AlcoMySQLServer
import Foundation
import Logging
import MySQLWire
import SearchThrough
import ServiceLifecycle
import SphinxAPIExecution
import SphinxQLExecution

/// One running alco: the catalog and everything over it (the SphinxQL listener, the RabbitMQ
/// consumers, the Redis mirror and list sources, the HTTP server), as one `ServiceGroup`.
/// `buildApplication` starts each part, so a port in use or a broken setting fails there;
/// `run()` serves until a graceful shutdown, which stops the parts in the reverse order of
/// their start and closes the catalog (flushing it) last.
public final class AlcoApplication: Sendable {
    public let catalog: Catalog
    /// The bound ports (nil: that listener is off); port 0 in the settings asks for a free one.
    public let mysqlPort: Int?
    public let httpPort: Int?
    public let sphinxAPIPort: Int?
    public let progress: ShutdownProgress
    private let group: ServiceGroup

    init(catalog: Catalog, mysqlPort: Int?, httpPort: Int?, sphinxAPIPort: Int?, progress: ShutdownProgress, group: ServiceGroup) {
        self.catalog = catalog
        self.mysqlPort = mysqlPort
        self.httpPort = httpPort
        self.sphinxAPIPort = sphinxAPIPort
        self.progress = progress
        self.group = group
    }

    /// Serves until `triggerShutdown()` (or a service fails), then stops every part.
    public func run() async throws {
        defer { progress.finish() }
        try await group.run()
    }

    public func triggerShutdown() async { await group.triggerGracefulShutdown() }
}

/// A part started by `buildApplication`, serving until the group shuts down, then stopped.
struct StartedPart: Service {
    let name: String
    let progress: ShutdownProgress
    let stop: @Sendable () throws -> Void

    func run() async throws {
        // Cancellation (a second failure elsewhere) ends the wait too: the part stops either way.
        try? await gracefulShutdown()
        progress.enter(name)
        try await blockingCall("alco.stop") { try stop() }
    }
}

/// `buildApplication` from async code: opening a catalog and waiting for listeners to bind
/// block, so they run on a thread of their own rather than on one of the few threads that
/// run every task (two tests building at once on two cores had both waiting for a task that
/// had no thread left to run on).
public func buildApplication(_ settings: ApplicationSettings, logger: Logger) async throws -> AlcoApplication {
    try await blockingCall("alco.build") { try buildApplication(settings, logger: logger) as AlcoApplication }
}

/// Opens the data directory and starts everything `settings` asks for; blocks until every
/// listener is bound. On a failure, what had started is stopped again and the catalog closed
/// before the error is thrown.
public func buildApplication(_ settings: ApplicationSettings, logger: Logger) throws -> AlcoApplication {
    var options = EngineOptions()
    options.backgroundMaintenance = true
    options.defaultQueryTimeMilliseconds = settings.queryTimeout
    options.node = settings.node
    options.minePatterns = settings.patterns
    _ = ProcessMetrics.registry
    // Bound first, answering "opening" until the catalog and the sources run.
    let http = try startOpeningHTTP(settings, logger)
    let catalog: Catalog
    do {
        catalog = try Catalog(directory: settings.data, options: options)
    } catch {
        http?.server.stop()
        throw error
    }
    for problem in catalog.problems { logger.warning("\(problem)") }
    let opened = catalog.opened
    logger.info(
        "opened \(settings.data) in \(String(format: "%.3f", opened.seconds)) s; the write-ahead log replay read \(opened.replayedRecords) records in \(String(format: "%.3f", opened.replaySeconds)) s"
    )
    let progress = ShutdownProgress(logger: logger)
    var parts: [StartedPart] = []
    do {
        try settings.applyIndexes(to: catalog)
        let names = catalog.indexes.map(\.name)
        let node = catalog.options.node.map { "; cluster node \($0)" } ?? ""
        logger.info("serving \(settings.data) (pid \(getpid())\(node)); indexes: \(names.isEmpty ? "none" : names.joined(separator: ", "))")
        // One rejects store for every source, so their lines never interleave in one file.
        let rejects = try RejectStore(directory: catalog.directory + "/rejects", logger: logger)
        // First in the group, so shut down last: every source has stopped writing by then.
        parts.append(
            StartedPart(name: "indexes (flushing to segments)", progress: progress) {
                rejects.close()
                try catalog.close()
            })
        let mysqlPort = try startMySQL(settings, catalog, logger, progress, &parts)
        let sphinxAPIPort = try startSphinxAPI(settings, catalog, logger, progress, &parts)
        let sources = try startSources(settings, catalog, rejects, logger, progress, &parts)
        let httpPort = try http.map { try serveHTTP($0, settings, catalog, rejects, sources, logger, progress, &parts) }
        if settings.verifyRateMB > 0 {
            // Last in the group, so stopped first: a pass under way ends before the indexes close.
            let verifier = SegmentVerifier(catalog: catalog, megabytesPerSecond: settings.verifyRateMB, logger: logger)
            verifier.start()
            parts.append(StartedPart(name: "segment verification", progress: progress) { verifier.stop() })
        }
        var quiet = logger
        quiet.logLevel = .warning
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: parts.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }, logger: quiet))
        return AlcoApplication(
            catalog: catalog, mysqlPort: mysqlPort, httpPort: httpPort, sphinxAPIPort: sphinxAPIPort, progress: progress,
            group: group)
    } catch {
        http?.server.stop()
        for part in parts.reversed() { try? part.stop() }
        if parts.isEmpty { try? catalog.close() }
        throw error
    }
}

/// Why a part could not start (a port in use, an unknown index for a source).
public struct StartFailure: Error, CustomStringConvertible {
    public var description: String
}

/// The HTTP listener, bound before the catalog opens and answering 503 "opening" until
/// `serveHTTP` gives it the real routes.
private struct OpeningHTTP {
    var server: HTTPServer
    var address: ListenAddress
    var port: Int
}

private func startOpeningHTTP(_ settings: ApplicationSettings, _ logger: Logger) throws -> OpeningHTTP? {
    guard settings.httpListen != "off" else { return nil }
    let address = try ListenAddress(settings.httpListen)
    let server = HTTPServer(logger: logger)
    do {
        let port = try server.startOpening(host: address.host, port: address.port)
        return OpeningHTTP(server: server, address: address, port: port)
    } catch {
        server.stop()
        throw StartFailure(description: "cannot listen for HTTP on \(settings.httpListen): \(error)")
    }
}

private func startMySQL(
    _ settings: ApplicationSettings, _ catalog: Catalog, _ logger: Logger, _ progress: ShutdownProgress,
    _ parts: inout [StartedPart]
) throws -> Int? {
    guard settings.mysqlListen != "off" else { return nil }
    let credentials = settings.mysqlUser.map { MySQLCredentials(user: $0, password: settings.mysqlPassword ?? "") }
    let config = MySQLServerConfiguration(
        serverVersion: settings.serverVersion, credentials: credentials,
        maxPacketSize: settings.maxPacket)
    let statementLog = StatementLog(logger: logger, slowMilliseconds: settings.slowQuery)
    let listener = MySQLListener(
        catalog: catalog, configuration: config, queryTimeoutMilliseconds: settings.queryTimeout, statementLog: statementLog)
    return try startListener(
        "MySQL", description: "SphinxQL (MySQL protocol)", listen: settings.mysqlListen, logger, progress, &parts,
        start: { try listener.start(host: $0, port: $1).port }, stop: { listener.stop() })
}

private func startSphinxAPI(
    _ settings: ApplicationSettings, _ catalog: Catalog, _ logger: Logger, _ progress: ShutdownProgress,
    _ parts: inout [StartedPart]
) throws -> Int? {
    guard settings.sphinxAPIListen != "off" else { return nil }
    let listener = SphinxAPIListener(catalog: catalog, queryTimeoutMilliseconds: settings.queryTimeout)
    return try startListener(
        "SphinxAPI", description: "SphinxAPI (Sphinx agent protocol)", listen: settings.sphinxAPIListen, logger, progress,
        &parts, start: { try listener.start(host: $0, port: $1).port }, stop: { listener.stop() })
}

/// Binds a listener at `listen` (HOST:PORT), stopping it again if that fails, and adds it to
/// the parts the group stops; returns the bound port (port 0 asks for a free one).
private func startListener(
    _ name: String, description: String, listen: String, _ logger: Logger, _ progress: ShutdownProgress,
    _ parts: inout [StartedPart], start: (String, Int) throws -> Int?, stop: @escaping @Sendable () -> Void
) throws -> Int {
    let address = try ListenAddress(listen)
    let port: Int
    do {
        port = try start(address.host, address.port) ?? address.port
    } catch {
        stop()
        throw StartFailure(description: "cannot listen for \(name) on \(listen): \(error)")
    }
    parts.append(StartedPart(name: "the \(name) listener", progress: progress, stop: stop))
    logger.info("\(description) on \(address.host):\(port)")
    return port
}

/// What the HTTP side needs of the running sources: their counters, and the collector to
/// tell of indexes created or dropped over HTTP.
private struct Sources {
    var status: @Sendable () -> [(index: String, source: String, metrics: SourceStatus)]
    var collector: Collector?
}

/// RabbitMQ consumers, the Redis mirror and Redis list sources.
private func startSources(
    _ settings: ApplicationSettings, _ catalog: Catalog, _ rejects: RejectStore, _ logger: Logger,
    _ progress: ShutdownProgress, _ parts: inout [StartedPart]
) throws -> Sources {
    var collector: Collector?
    if let text = settings.amqpURL {
        var config = Collector.Configuration(url: try AMQPURL(text))
        config.exchange = settings.amqpExchange
        config.consumersPerIndex = settings.amqpConsumers
        config.durableQueues = settings.node != nil
        let c = Collector(catalog: catalog, configuration: config, rejects: rejects, logger: logger)
        c.start()
        parts.append(StartedPart(name: "the RabbitMQ consumers", progress: progress) { c.stop() })
        logger.info("collecting from \(config.url) (exchange '\(config.exchange)', \(config.consumersPerIndex) consumer(s) per index)")
        collector = c
    }
    var lists: [(source: RedisListSource, metrics: CollectorMetrics)] = []
    if let text = settings.redisURL {
        let url = try RedisURL(text)
        let mirror = RedisMirror(catalog: catalog, url: url, logger: logger)
        mirror.start()
        parts.append(StartedPart(name: "the Redis mirror", progress: progress) { mirror.stop() })
        for (list, name) in settings.redisSources {
            guard let index = catalog.indexIfExists(name) else {
                throw StartFailure(description: "Redis source \(list): no index '\(name)'")
            }
            let metrics = CollectorMetrics()
            let source = RedisListSource(index: index, url: url, list: list, rejects: rejects, metrics: metrics, logger: logger)
            source.start()
            parts.append(StartedPart(name: "the Redis list source \(list)", progress: progress) { source.stop() })
            lists.append((source, metrics))
        }
        let described = settings.redisSources.map { "\($0.list) → \($0.index)" }
        logger.info("mirroring column values to \(url)\(described.isEmpty ? "" : "; taking lists " + described.joined(separator: ", "))")
    }
    var files: [(source: FileSource, metrics: CollectorMetrics)] = []
    for watch in settings.watches {
        let index = try catalog.indexIfExists(watch.index) ?? catalog.createIndex(IndexSettings(name: watch.index))
        let metrics = CollectorMetrics()
        let source = try FileSource(watch: watch, index: index, rejects: rejects, metrics: metrics, logger: logger)
        source.start()
        parts.append(StartedPart(name: "the file source \(watch.pattern)", progress: progress) { source.stop() })
        files.append((source, metrics))
        logger.info("following files \(watch.pattern) → index \(index.name)")
    }
    let amqp = collector
    let watched = files.map { ($0.source.index.name, "file:" + $0.source.watch.pattern, $0.metrics) }
    let redis = lists.map { ($0.source.index.name, "redis:" + $0.source.list, $0.metrics) }
    return Sources(
        status: {
            var out: [(index: String, source: String, metrics: SourceStatus)] = []
            for (name, m) in amqp?.metrics ?? [:] { out.append((name, "amqp", m)) }
            for (name, source, m) in redis + watched { out.append((name, source, m.snapshot)) }
            return out
        }, collector: collector)
}

private func serveHTTP(
    _ http: OpeningHTTP, _ settings: ApplicationSettings, _ catalog: Catalog, _ rejects: RejectStore,
    _ sources: Sources, _ logger: Logger, _ progress: ShutdownProgress, _ parts: inout [StartedPart]
) throws -> Int {
    let address = http.address
    var services = HTTPServices(catalog: catalog, rejects: rejects)
    services.maxBodyBytes = settings.maxBody
    services.sourceMetrics = sources.status
    services.metricsRegistry = ProcessMetrics.registry
    services.logger = logger
    services.auth = HTTPAuth(bearerToken: settings.httpToken, user: settings.httpUser, password: settings.httpPassword)
    services.requestGuard = RequestGuard.forListener(
        host: address.host, isLoopback: address.isLoopback,
        extra: settings.httpAllowedHosts)
    if let collector = sources.collector {
        services.indexCreated = { collector.consume($0) }
        services.indexDropping = { collector.forget(indexNamed: $0) }
    }
    if let front = try settings.searchThroughAddress() {
        let pool = SphinxQLPool(host: front.host, port: front.port, timeoutSeconds: UInt32(clamping: max(5, (settings.queryTimeout ?? 30_000) / 1000 + 5)))
        services.reader = { name in RemoteIndexReader(name: name, pool: pool, local: catalog.indexIfExists(name)) }
        let (amqp, exchange) = (try settings.amqpURL.map { try AMQPURL($0) }, settings.amqpExchange)
        services.publishedLines = { name in
            guard let amqp else {
                throw StartFailure(description: "in --search-through mode the live tail follows RabbitMQ: start this node with --amqp")
            }
            guard let index = catalog.indexIfExists(name) else {
                throw ReaderNotFound("this node has no index '\(name)': its routing keys say what to follow")
            }
            let feed = try LiveFeed(
                url: amqp, exchange: exchange, routingKeys: try QueueBinding(index.settings).routingKeys, producerZone: index.producerTimeZone)
            return FeedLines(feed: feed)
        }
        logger.info("HTTP searches go through the Sphinx front at \(front.host):\(front.port)")
    }
    let server = http.server
    server.serve(services)
    parts.append(StartedPart(name: "the HTTP server", progress: progress) { server.stop() })
    let shown = address.host == "0.0.0.0" || address.host == "::" ? "127.0.0.1" : address.host
    logger.info("HTTP on \(address.host):\(http.port) — open http://\(shown):\(http.port)/ in a browser\(services.auth.isEnabled ? " (credentials required)" : "")")
    return http.port
}

/// A RabbitMQ feed as the live tail reads it.
private struct FeedLines: PublishedLines {
    let feed: LiveFeed

    func drain() throws -> (lines: [Document], missed: Int) {
        let batch = try feed.drain()
        return (batch.lines, batch.missed)
    }

    func close() { feed.close() }
}
