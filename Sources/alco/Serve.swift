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

    @Option(name: .customLong("mysql"), help: "SphinxQL (MySQL protocol) listener, HOST:PORT, or 'off'.")
    var mysqlAddress = "127.0.0.1:9306"

    @Option(name: .customLong("mysql-user"), help: "Require this user on the MySQL listener (default: accept any, as Sphinx).")
    var mysqlUser: String?

    @Option(name: .customLong("mysql-password"),
            help: "The password of --mysql-user (or set ALCO_MYSQL_PASSWORD).")
    var mysqlPassword: String?

    @Option(name: .customLong("server-version"), help: "The version the MySQL handshake announces.")
    var serverVersion = ServerInfo.version

    @Option(name: .customLong("max-packet"), help: "Largest MySQL packet accepted, in bytes.")
    var maxPacket = 64 << 20

    @Option(name: .customLong("http"), help: "HTTP listener (ingestion, /health, /metrics), HOST:PORT, or 'off'.")
    var httpAddress = "127.0.0.1:8080"

    @Option(name: .customLong("max-body"), help: "Largest HTTP request body accepted (after gzip), in bytes.")
    var maxBody = 64 << 20

    @Option(name: .customLong("amqp"),
            help: "Consume RabbitMQ at this URL (amqp://user:pass@host:port/vhost; or set ALCO_AMQP_URL).")
    var amqpURL: String?

    @Option(name: .customLong("amqp-exchange"), help: "The topic exchange producers publish to.")
    var amqpExchange = "logstash"

    @Option(name: .customLong("amqp-consumers"), help: "Consumers (connections) per index, like ALCO's num_processes.")
    var amqpConsumers = 1

    @Option(name: .customLong("redis"),
            help: "Redis URL (redis://[:password@]host:port/db; or ALCO_REDIS_URL): mirror filtered columns' values under ALCO:VALUES:*.")
    var redisURL: String?

    @Option(name: .customLong("redis-source"), help: "Also take JSON lines from a Redis list into an index: LIST=INDEX (repeatable).")
    var redisSources: [String] = []

    func validate() throws {
        if mysqlAddress != "off" { _ = try ListenAddress(mysqlAddress) }
        if httpAddress != "off" { _ = try ListenAddress(httpAddress) }
        if let url = redisURL ?? ProcessInfo.processInfo.environment["ALCO_REDIS_URL"] {
            do { _ = try RedisURL(url) } catch { throw ValidationError("\(error)") }
        } else if !redisSources.isEmpty {
            throw ValidationError("--redis-source needs --redis URL")
        }
        for s in redisSources where s.split(separator: "=").count != 2 {
            throw ValidationError("--redis-source takes LIST=INDEX, not '\(s)'")
        }
        if let url = amqpURL ?? ProcessInfo.processInfo.environment["ALCO_AMQP_URL"] {
            do { _ = try AMQPURL(url) } catch { throw ValidationError("\(error)") }
        }
        guard serverVersion.first?.isNumber == true else {
            throw ValidationError("--server-version must start with a MySQL-style version number such as 5.7.99")
        }
    }

    func run() throws {
        let catalog = try reportingErrors { try data.openCatalog() }
        for p in catalog.problems { warn("alco: \(p)") }
        let names = catalog.indexes.map(\.name)
        print("alco: serving \(data.directory) (pid \(getpid())); indexes: \(names.isEmpty ? "none" : names.joined(separator: ", "))")
        var listener: MySQLListener?
        if mysqlAddress != "off" {
            let address = try ListenAddress(mysqlAddress)
            var credentials: MySQLCredentials?
            if let user = mysqlUser {
                let password = mysqlPassword ?? ProcessInfo.processInfo.environment["ALCO_MYSQL_PASSWORD"] ?? ""
                credentials = MySQLCredentials(user: user, password: password)
            }
            let config = MySQLServerConfiguration(serverVersion: serverVersion, credentials: credentials, maxPacketSize: maxPacket)
            let l = MySQLListener(catalog: catalog, configuration: config)
            do {
                let bound = try l.start(host: address.host, port: address.port)
                print("alco: SphinxQL (MySQL protocol) on \(address.host):\(bound.port ?? address.port)")
            } catch {
                warn("alco: cannot listen for MySQL on \(mysqlAddress): \(error)")
                try? catalog.close()
                throw ExitCode(2)
            }
            listener = l
        }
        var collector: Collector?
        if let text = amqpURL ?? ProcessInfo.processInfo.environment["ALCO_AMQP_URL"] {
            var config = Collector.Configuration(url: try AMQPURL(text))
            config.exchange = amqpExchange
            config.consumersPerIndex = amqpConsumers
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
        if let text = redisURL ?? ProcessInfo.processInfo.environment["ALCO_REDIS_URL"] {
            let url = try RedisURL(text)
            let m = RedisMirror(catalog: catalog, url: url, log: printLine)
            m.start()
            mirror = m
            let rejects = try reportingErrors { try RejectStore(directory: catalog.directory + "/rejects") }
            for spec in redisSources {
                let parts = spec.split(separator: "=").map(String.init)
                guard let index = catalog.indexIfExists(parts[1]) else {
                    warn("alco: --redis-source \(spec): no index '\(parts[1])'")
                    throw ExitCode(2)
                }
                let metrics = CollectorMetrics()
                let source = RedisListSource(index: index, url: url, list: parts[0], rejects: rejects, metrics: metrics, log: printLine)
                source.start()
                listSources.append((source, metrics))
            }
            print("alco: mirroring column values to \(url)\(redisSources.isEmpty ? "" : "; taking lists " + redisSources.joined(separator: ", "))")
        }
        var http: HTTPServer?
        if httpAddress != "off" {
            let address = try ListenAddress(httpAddress)
            var services = HTTPServices(catalog: catalog, rejects: try reportingErrors { try RejectStore(directory: catalog.directory + "/rejects") })
            services.maxBodyBytes = maxBody
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
                warn("alco: cannot listen for HTTP on \(httpAddress): \(why)")
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
