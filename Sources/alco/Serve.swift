import AlcoApplication
import ArgumentParser
import Dispatch
import Foundation
import Logging
import SphinxQLExecution
import Synchronization

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

    @Option(
        name: .customLong("sphinxapi"),
        help: "SphinxAPI (Sphinx agent protocol) listener, HOST:PORT, or 'off' (default 127.0.0.1:9312; $ALCO_SPHINXAPI).")
    var sphinxAPIAddress: String?

    @Option(
        name: .customLong("search-through"),
        help: "Answer the HTTP API and web UI from a Sphinx front over the cluster: sphinxql://HOST:PORT ($ALCO_SEARCH_THROUGH).")
    var searchThrough: String?

    @Option(
        name: .customLong("node"),
        help: "This node's number in a cluster, 0-63: ids it assigns never collide with other nodes' ($ALCO_NODE).")
    var node: Int?

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

    @Option(
        name: .customLong("http-allowed-hosts"),
        help: "Host names HTTP requests may name, comma-separated (default: on loopback, localhost and loopback addresses; elsewhere any).")
    var httpAllowedHosts: String?

    @Option(
        name: .customLong("query-timeout-ms"),
        help: "Stop any query after this many ms with what it found by then (0: no limit; default 30000; $ALCO_QUERY_TIMEOUT_MS).")
    var queryTimeoutMs: Int?

    @Option(name: .customLong("amqp"), help: "Consume RabbitMQ at this URL, amqp://user:pass@host:port/vhost ($ALCO_AMQP_URL).")
    var amqpURL: String?

    @Option(name: .customLong("amqp-exchange"), help: "The topic exchange producers publish to (default logstash).")
    var amqpExchange: String?

    @Option(name: .customLong("amqp-consumers"), help: "Consumers (connections) per index, like ALCO's num_processes (default 1).")
    var amqpConsumers: Int?

    @Option(
        name: .customLong("redis"),
        help: "Redis URL, redis://[:password@]host:port/db ($ALCO_REDIS_URL): mirror filtered columns' values under ALCO:VALUES:*.")
    var redisURL: String?

    @Option(name: .customLong("redis-source"), help: "Also take JSON lines from a Redis list into an index: LIST=INDEX (repeatable).")
    var redisSources: [String] = []

    @Flag(
        inversion: .prefixedNo,
        help: "Give each collected line its message pattern (`alco patterns`, the UI's patterns panel; default on; $ALCO_PATTERNS=on|off).")
    var patterns: Bool?

    @Option(
        name: .customLong("watch"),
        help: "Follow log files as tail -F does into an index: 'GLOB=INDEX' (repeatable; $ALCO_WATCH, ';'-separated). Offsets are stored with each batch.")
    var watches: [String] = []

    @Option(name: .customLong("log-format"), help: "How alco serve logs: text (default) or json, one logstash-shaped object per line ($ALCO_LOG_FORMAT).")
    var logFormat: String?

    @Option(name: .customLong("log-level"), help: "The least important lines logged: trace, debug, info (default), notice, warning, error, critical ($ALCO_LOG_LEVEL).")
    var logLevel: String?

    @Option(
        name: .customLong("slow-query-ms"),
        help: "Log SphinxQL statements that take at least this many ms, with their text (0: none; default 1000; $ALCO_SLOW_QUERY_MS).")
    var slowQueryMs: Int?

    @Option(
        name: .customLong("verify-rate"),
        help:
            "Check every segment's checksums again in the background at this many MB/s, soon after start and daily; damaged ones are quarantined (0: never; default 32; $ALCO_VERIFY_RATE)."
    )
    var verifyRate: Int?

    @Option(name: .customLong("watch-idle-ms"), help: "A watched file's last line without a newline, or open multiline record, is taken after this long idle (default 1000).")
    var watchIdleMs: Int?

    func run() throws {
        let settings = try ApplicationSettings.resolve(self)
        // Installed before anything starts: a SIGTERM sent as soon as the banner shows must
        // not fall between ignoring the signal and listening for it.
        let stopSignal = StopSignal()
        // Every logger in the process, the libraries' too, writes lines of the chosen format.
        LoggingSystem.bootstrap { label in LineLogHandler(level: settings.logLevel, format: settings.logFormat, label: label) }
        let logger = Logger(label: "alco")
        let app: AlcoApplication
        do {
            app = try buildApplication(settings, logger: logger)
        } catch {
            warn("alco: \(error)")
            throw ExitCode(2)
        }
        let ended = DispatchSemaphore(value: 0)
        let outcome = Mutex<(any Error)?>(nil)
        Task {
            do { try await app.run() } catch { outcome.withLock { $0 = error } }
            ended.signal()
        }
        logger.info("press Ctrl-C to stop")
        stopSignal.wait()
        Task { await app.triggerShutdown() }
        ended.wait()
        if let error = outcome.withLock({ $0 }) {
            warn("alco: \(error)")
            throw ExitCode(2)
        }
        logger.info("stopped")
    }
}
