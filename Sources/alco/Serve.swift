import AlcoCollector
import AlcoHTTP
import AlcoIndex
import AlcoIngest
import AlcoMySQLServer
import AlcoServer
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

    func validate() throws {
        let s = try ServeSettings.resolve(self)
        if let url = s.redisURL {
            do { _ = try RedisURL(url) } catch { throw ValidationError("\(error)") }
        }
        if let url = s.amqpURL {
            do { _ = try AMQPURL(url) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() throws {
        let settings = try ServeSettings.resolve(self)
        var options = EngineOptions()
        options.backgroundMaintenance = true
        let catalog = try reportingErrors { try Catalog(directory: settings.data, options: options) }
        for p in catalog.problems { warn("alco: \(p)") }
        try reportingErrors { try settings.applyIndexes(to: catalog) }
        let names = catalog.indexes.map(\.name)
        print("alco: serving \(settings.data) (pid \(getpid())); indexes: \(names.isEmpty ? "none" : names.joined(separator: ", "))")
        var listener: MySQLListener?
        if settings.mysqlListen != "off" {
            let address = try ListenAddress(settings.mysqlListen)
            var credentials: MySQLCredentials?
            if let user = settings.mysqlUser {
                credentials = MySQLCredentials(user: user, password: settings.mysqlPassword ?? "")
            }
            let config = MySQLServerConfiguration(serverVersion: settings.serverVersion, credentials: credentials,
                                                  maxPacketSize: settings.maxPacket)
            let l = MySQLListener(catalog: catalog, configuration: config)
            do {
                let bound = try l.start(host: address.host, port: address.port)
                print("alco: SphinxQL (MySQL protocol) on \(address.host):\(bound.port ?? address.port)")
            } catch {
                warn("alco: cannot listen for MySQL on \(settings.mysqlListen): \(error)")
                try? catalog.close()
                throw ExitCode(2)
            }
            listener = l
        }
        var collector: Collector?
        if let text = settings.amqpURL {
            var config = Collector.Configuration(url: try AMQPURL(text))
            config.exchange = settings.amqpExchange
            config.consumersPerIndex = settings.amqpConsumers
            let c = try reportingErrors { try Collector(catalog: catalog, configuration: config) { line in
                // One write per line, so lines from several consumers never interleave.
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            } }
            c.start()
            print("alco: collecting from \(config.url) (exchange '\(config.exchange)', \(config.consumersPerIndex) consumer(s) per index)")
            collector = c
        }
        let printLine: @Sendable (String) -> Void = { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        var mirror: RedisMirror?
        var listSources: [(source: RedisListSource, metrics: CollectorMetrics)] = []
        if let text = settings.redisURL {
            let url = try RedisURL(text)
            let m = RedisMirror(catalog: catalog, url: url, log: printLine)
            m.start()
            mirror = m
            let rejects = try reportingErrors { try RejectStore(directory: catalog.directory + "/rejects") }
            for (list, name) in settings.redisSources {
                guard let index = catalog.indexIfExists(name) else {
                    warn("alco: Redis source \(list): no index '\(name)'")
                    throw ExitCode(2)
                }
                let metrics = CollectorMetrics()
                let source = RedisListSource(index: index, url: url, list: list, rejects: rejects, metrics: metrics, log: printLine)
                source.start()
                listSources.append((source, metrics))
            }
            let lists = settings.redisSources.map { "\($0.list) → \($0.index)" }
            print("alco: mirroring column values to \(url)\(lists.isEmpty ? "" : "; taking lists " + lists.joined(separator: ", "))")
        }
        var http: HTTPServer?
        if settings.httpListen != "off" {
            let address = try ListenAddress(settings.httpListen)
            var services = HTTPServices(catalog: catalog, rejects: try reportingErrors { try RejectStore(directory: catalog.directory + "/rejects") })
            services.maxBodyBytes = settings.maxBody
            let amqp = collector
            let lists = listSources.map { ($0.source.index.name, "redis:" + $0.source.list, $0.metrics) }
            services.sourceMetrics = {
                var out: [(index: String, source: String, metrics: CollectorMetrics.Snapshot)] = []
                for (name, m) in amqp?.metrics ?? [:] { out.append((name, "amqp", m)) }
                for (name, source, m) in lists { out.append((name, source, m.snapshot)) }
                return out
            }
            let server = HTTPServer()
            let bound = DispatchSemaphore(value: 0)
            server.start(services, host: address.host, port: address.port) { port in
                print("alco: HTTP on \(address.host):\(port)")
                bound.signal()
            }
            if bound.wait(timeout: .now() + 10) == .timedOut {
                let why = server.failure(timeout: 1).map { "\($0)" } ?? "it did not start"
                warn("alco: cannot listen for HTTP on \(settings.httpListen): \(why)")
                listener?.stop()
                collector?.stop()
                try? catalog.close()
                throw ExitCode(2)
            }
            http = server
        }
        print("alco: press Ctrl-C to stop")
        fflush(nil)
        let stop = DispatchSemaphore(value: 0)
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { stop.signal() }
            s.resume()
            sources.append(s)
        }
        stop.wait()
        http?.stop()
        listener?.stop()
        collector?.stop()
        for s in listSources { s.source.stop() }
        mirror?.stop()
        print("alco: stopping, flushing indexes")
        try reportingErrors { try catalog.close() }
        print("alco: stopped")
        _ = sources
    }
}
