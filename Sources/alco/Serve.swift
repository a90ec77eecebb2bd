import AlcoCollector
import AlcoHTTP
import AlcoIndex
import AlcoIngest
import AlcoMySQLServer
import SphinxQLExecution
import ArgumentParser
import MySQLWire
import Dispatch
import Foundation

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the data directory and serve it until SIGINT or SIGTERM.")

    @OptionGroup var data: DataOptions

    @Option(name: .customLong("config"), help: "YAML config file (or $ALCO_CONFIG); see alco.example.yaml. Flags override it.")
    var config: String?

    @Option(name: .customLong("mysql"), help: "SphinxQL (MySQL protocol) listener, HOST:PORT, or 'off' (default 127.0.0.1:9306; $ALCO_MYSQL).")
    var mysqlAddress: String?

    @Option(name: .customLong("mysql-user"), help: "Require this user on the MySQL listener (default: accept any, as Sphinx).")
    var mysqlUser: String?

    @Option(name: .customLong("mysql-password"), help: "The password of --mysql-user (or $ALCO_MYSQL_PASSWORD).")
    var mysqlPassword: String?

    @Option(name: .customLong("server-version"), help: "The version the MySQL handshake announces (default \(ServerInfo.version)).")
    var serverVersion: String?

    @Option(name: .customLong("max-packet"), help: "Largest MySQL packet accepted, in bytes (default 64 MiB).")
    var maxPacket: Int?

    @Option(name: .customLong("http"), help: "HTTP listener, HOST:PORT, or 'off' (default 127.0.0.1:8080; $ALCO_HTTP).")
    var httpAddress: String?

    @Option(name: .customLong("max-body"), help: "Largest HTTP request body accepted (after gzip), in bytes (default 64 MiB).")
    var maxBody: Int?

    @Option(name: .customLong("http-token"), help: "Require this bearer token on the HTTP API and UI ($ALCO_HTTP_TOKEN).")
    var httpToken: String?

    @Option(name: .customLong("http-user"), help: "Require this user (basic auth, which browsers ask for) on the HTTP API and UI.")
    var httpUser: String?

    @Option(name: .customLong("http-password"), help: "The password of --http-user ($ALCO_HTTP_PASSWORD).")
    var httpPassword: String?

    @Flag(name: .customLong("insecure"), help: "Allow HTTP and SphinxQL on a non-loopback address without credentials.")
    var insecure = false

    @Option(name: .customLong("http-allowed-hosts"),
            help: "Host names HTTP requests may name, comma-separated (default: on loopback, localhost and loopback addresses; elsewhere any).")
    var httpAllowedHosts: String?

    @Option(name: .customLong("query-timeout-ms"),
            help: "Stop any query after this many ms with what it found by then (0: no limit; default 30000; $ALCO_QUERY_TIMEOUT_MS).")
    var queryTimeoutMs: Int?

    @Option(name: .customLong("amqp"), help: "Consume RabbitMQ at this URL, amqp://user:pass@host:port/vhost ($ALCO_AMQP_URL).")
    var amqpURL: String?

    @Option(name: .customLong("amqp-exchange"), help: "The topic exchange producers publish to (default logstash).")
    var amqpExchange: String?

    @Option(name: .customLong("amqp-consumers"), help: "Consumers (connections) per index, like ALCO's num_processes (default 1).")
    var amqpConsumers: Int?

    @Option(name: .customLong("redis"),
            help: "Redis URL, redis://[:password@]host:port/db ($ALCO_REDIS_URL): mirror filtered columns' values under ALCO:VALUES:*.")
    var redisURL: String?

    @Option(name: .customLong("redis-source"), help: "Also take JSON lines from a Redis list into an index: LIST=INDEX (repeatable).")
    var redisSources: [String] = []

    func run() throws {
        let settings = try ServeSettings.resolve(self)
        // Installed before anything starts: a SIGTERM sent as soon as the banner shows must
        // not fall between ignoring the signal and listening for it.
        let stopSignal = StopSignal()
        var options = EngineOptions()
        options.backgroundMaintenance = true
        options.defaultQueryTimeMilliseconds = settings.queryTimeoutMs > 0 ? settings.queryTimeoutMs : nil
        let opening: HTTPServer?
        do {
            opening = try startOpeningHTTP(settings)
        } catch {
            warn("alco: \(error)")
            throw ExitCode(2)
        }
        let catalog: Catalog
        do {
            catalog = try reportingErrors { try Catalog(directory: settings.data, options: options) }
        } catch {
            opening?.stop()
            throw error
        }
        opening?.stop()
        for p in catalog.problems { warn("alco: \(p)") }
        try reportingErrors { try settings.applyIndexes(to: catalog) }
        let names = catalog.indexes.map(\.name)
        print("alco: serving \(settings.data) (pid \(getpid())); indexes: \(names.isEmpty ? "none" : names.joined(separator: ", "))")
        // One rejects store for every source, so their lines never interleave in one file.
        let rejects = try reportingErrors { try RejectStore(directory: catalog.directory + "/rejects", log: Serve.printLine) }
        var running = Running()
        do {
            try startMySQL(settings, catalog, &running)
            let sources = try startSources(settings, catalog, rejects, &running)
            try startHTTP(settings, catalog, rejects, sources, &running)
        } catch {
            warn("alco: \(error)")
            running.stopAll()
            rejects.close()
            try? catalog.close()
            throw ExitCode(2)
        }
        print("alco: press Ctrl-C to stop")
        fflush(nil)
        stopSignal.wait()
        let progress = ShutdownProgress()
        running.stopAll(progress)
        progress.enter("the rejects store")
        rejects.close()
        progress.enter("indexes (flushing to segments)")
        defer { progress.finish() }
        try reportingErrors { try catalog.close() }
        print("alco: stopped")
    }

    /// What has started, stopped in reverse order on the way out (or when a later part fails).
    struct Running {
        private var stops: [(name: String, stop: () -> Void)] = []
        mutating func add(_ name: String, _ stop: @escaping () -> Void) { stops.append((name, stop)) }
        mutating func stopAll(_ progress: ShutdownProgress? = nil) {
            for (name, stop) in stops.reversed() {
                progress?.enter(name)
                stop()
            }
            stops = []
        }
    }

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// One write per line, so lines from several threads never interleave.
    static let printLine: @Sendable (String) -> Void = { line in
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    private func startMySQL(_ settings: ServeSettings, _ catalog: Catalog, _ running: inout Running) throws {
        guard settings.mysqlListen != "off" else { return }
        let address = try ListenAddress(settings.mysqlListen)
        let credentials = settings.mysqlUser.map { MySQLCredentials(user: $0, password: settings.mysqlPassword ?? "") }
        let config = MySQLServerConfiguration(serverVersion: settings.serverVersion, credentials: credentials,
                                              maxPacketSize: settings.maxPacket)
        let listener = MySQLListener(catalog: catalog, configuration: config,
                                     queryTimeoutMilliseconds: settings.queryTimeoutMs > 0 ? settings.queryTimeoutMs : nil)
        do {
            let bound = try listener.start(host: address.host, port: address.port)
            print("alco: SphinxQL (MySQL protocol) on \(address.host):\(bound.port ?? address.port)")
        } catch {
            throw StartFailure(description: "cannot listen for MySQL on \(settings.mysqlListen): \(error)")
        }
        running.add("the MySQL listener") { listener.stop() }
    }

    /// RabbitMQ consumers, the Redis mirror and Redis list sources; returns what `/metrics`
    /// reports of them.
    /// What the HTTP side needs of the running sources: their counters, and the collector to
    /// tell of indexes created or dropped over HTTP.
    struct Sources {
        var metrics: @Sendable () -> [(index: String, source: String, metrics: SourceStatus)]
        var collector: Collector?
    }

    private func startSources(_ settings: ServeSettings, _ catalog: Catalog, _ rejects: RejectStore,
                              _ running: inout Running) throws -> Sources {
        var collector: Collector?
        if let text = settings.amqpURL {
            var config = Collector.Configuration(url: try AMQPURL(text))
            config.exchange = settings.amqpExchange
            config.consumersPerIndex = settings.amqpConsumers
            let c = Collector(catalog: catalog, configuration: config, rejects: rejects, log: Serve.printLine)
            c.start()
            running.add("the RabbitMQ consumers") { c.stop() }
            print("alco: collecting from \(config.url) (exchange '\(config.exchange)', \(config.consumersPerIndex) consumer(s) per index)")
            collector = c
        }
        var lists: [(source: RedisListSource, metrics: CollectorMetrics)] = []
        if let text = settings.redisURL {
            let url = try RedisURL(text)
            let mirror = RedisMirror(catalog: catalog, url: url, log: Serve.printLine)
            mirror.start()
            running.add("the Redis mirror") { mirror.stop() }
            for (list, name) in settings.redisSources {
                guard let index = catalog.indexIfExists(name) else {
                    throw StartFailure(description: "Redis source \(list): no index '\(name)'")
                }
                let metrics = CollectorMetrics()
                let source = RedisListSource(index: index, url: url, list: list, rejects: rejects, metrics: metrics, log: Serve.printLine)
                source.start()
                running.add("the Redis list source \(list)") { source.stop() }
                lists.append((source, metrics))
            }
            let described = settings.redisSources.map { "\($0.list) → \($0.index)" }
            print("alco: mirroring column values to \(url)\(described.isEmpty ? "" : "; taking lists " + described.joined(separator: ", "))")
        }
        let amqp = collector
        let redis = lists.map { ($0.source.index.name, "redis:" + $0.source.list, $0.metrics) }
        return Sources(metrics: {
            var out: [(index: String, source: String, metrics: SourceStatus)] = []
            for (name, m) in amqp?.metrics ?? [:] { out.append((name, "amqp", m)) }
            for (name, source, m) in redis { out.append((name, source, m.snapshot)) }
            return out
        }, collector: collector)
    }

    /// The HTTP listener's stand-in while the catalog opens (see `buildOpeningRouter`).
    private func startOpeningHTTP(_ settings: ServeSettings) throws -> HTTPServer? {
        guard settings.httpListen != "off" else { return nil }
        let address = try ListenAddress(settings.httpListen)
        guard address.port != 0 else { return nil }  // a free port is chosen once, by the real server
        let server = HTTPServer()
        do {
            _ = try server.startOpening(host: address.host, port: address.port)
        } catch {
            server.stop()
            throw StartFailure(description: "cannot listen for HTTP on \(settings.httpListen): \(error)")
        }
        return server
    }

    private func startHTTP(_ settings: ServeSettings, _ catalog: Catalog, _ rejects: RejectStore,
                           _ sources: Sources, _ running: inout Running) throws {
        guard settings.httpListen != "off" else { return }
        let address = try ListenAddress(settings.httpListen)
        var services = HTTPServices(catalog: catalog, rejects: rejects)
        services.maxBodyBytes = settings.maxBody
        services.sourceMetrics = sources.metrics
        services.auth = HTTPAuth(bearerToken: settings.httpToken, user: settings.httpUser, password: settings.httpPassword)
        services.requestGuard = RequestGuard.forListener(host: address.host, isLoopback: address.isLoopback,
                                                         extra: settings.httpAllowedHosts)
        if let collector = sources.collector {
            services.indexCreated = { collector.consume($0) }
            services.indexDropping = { collector.forget(indexNamed: $0) }
        }
        let server = HTTPServer()
        do {
            let port = try server.start(services, host: address.host, port: address.port)
            let shown = address.host == "0.0.0.0" || address.host == "::" ? "127.0.0.1" : address.host
            print("alco: HTTP on \(address.host):\(port) — open http://\(shown):\(port)/ in a browser\(services.auth.isEnabled ? " (credentials required)" : "")")
        } catch {
            server.stop()
            throw StartFailure(description: "cannot listen for HTTP on \(settings.httpListen): \(error)")
        }
        running.add("the HTTP server") { server.stop() }
    }

}
