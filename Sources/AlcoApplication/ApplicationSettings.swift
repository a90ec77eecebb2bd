import AlcoCollector
import AlcoIndex
import AlcoIngest
import Logging
import SphinxQLExecution

/// A setting that cannot be used, said the way the user wrote it.
public struct SettingsError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// An index the settings ask for: created at start when missing, brought to these values when
/// present (nil: leave as it is).
public struct IndexDeclaration: Decodable, Equatable, Sendable {
    public var name: String
    public var retentionDays: Int?
    public var queue: String?
    public var routingKeys: [String]?
    public var durable: Bool?
    public var timezone: String?
    public var producerTimezone: String?
    public var consumers: Int?

    public init(name: String) { self.name = name }

    enum CodingKeys: String, CodingKey {
        case name, queue, durable, timezone, consumers
        case retentionDays = "retention_days", routingKeys = "routing_keys", producerTimezone = "producer_timezone"
    }
}

/// The settings an application runs with (`alco serve` resolves them from flags, environment
/// and config file).
public struct ApplicationSettings: Sendable {
    public var data: String
    public var mysqlListen: String
    public var mysqlUser: String?
    public var mysqlPassword: String?
    public var serverVersion: String
    public var maxPacket: Int
    public var mysqlInsecure: Bool
    /// The bound on any query's time, in ms (0: none).
    public var queryTimeoutMs: Int
    public var httpListen: String
    public var maxBody: Int
    public var httpToken: String?
    public var httpUser: String?
    public var httpPassword: String?
    public var httpAllowedHosts: [String]
    public var insecure: Bool
    public var amqpURL: String?
    public var amqpExchange: String
    public var amqpConsumers: Int
    public var redisURL: String?
    public var redisSources: [(list: String, index: String)]
    public var indexes: [IndexDeclaration]
    /// `queryTimeoutMs` as a bound: nil when 0 (none).
    public var queryTimeout: Int? { queryTimeoutMs > 0 ? queryTimeoutMs : nil }
    /// The SphinxAPI listener (a Sphinx agent, searchd's port 9312), or "off".
    public var sphinxAPIListen = "off"
    /// This node's number in a cluster (0-63), nil for a standalone server.
    public var node: Int?
    /// `sphinxql://HOST:PORT`: the HTTP API and web UI read every node's lines through this
    /// Sphinx front instead of this node's engine.
    public var searchThrough: String?
    /// Give collected lines their message pattern (`--no-patterns`: none).
    public var patterns = true
    /// Files followed into indexes (`--watch GLOB=INDEX`).
    public var watches: [FileWatch] = []
    /// SphinxQL statements that take at least this long are logged with their duration and
    /// text (`--slow-query-ms`; 0: none).
    public var slowQueryMs = 1000
    /// `slowQueryMs` as a threshold: nil when 0 (none).
    public var slowQuery: Int? { slowQueryMs > 0 ? slowQueryMs : nil }
    /// The background check of every segment's checksums, in MB/s of reading (`--verify-rate`;
    /// 0: none).
    public var verifyRateMB = 32
    /// How the server logs (`--log-format`), and from which level (`--log-level`).
    public var logFormat = LineLogHandler.Format.text
    public var logLevel = Logger.Level.info

    /// `searchThrough` as a host and port.
    public func searchThroughAddress() throws -> (host: String, port: Int)? {
        guard let text = searchThrough, text != "off" else { return nil }
        let prefix = "sphinxql://"
        guard text.hasPrefix(prefix) else {
            throw SettingsError("--search-through takes sphinxql://HOST:PORT, not '\(text)'")
        }
        let address: ListenAddress
        do {
            address = try ListenAddress(String(text.dropFirst(prefix.count)))
        } catch {
            throw SettingsError("--search-through takes sphinxql://HOST:PORT, not '\(text)'")
        }
        guard address.port > 0 else { throw SettingsError("--search-through needs the front's port, not '\(text)'") }
        return (address.host, address.port)
    }

    public init(
        data: String, mysqlListen: String = "127.0.0.1:9306", mysqlUser: String? = nil, mysqlPassword: String? = nil,
        serverVersion: String = ServerInfo.version, maxPacket: Int = 64 << 20, mysqlInsecure: Bool = false,
        queryTimeoutMs: Int = 30_000, httpListen: String = "127.0.0.1:8080", maxBody: Int = 64 << 20,
        httpToken: String? = nil, httpUser: String? = nil, httpPassword: String? = nil, httpAllowedHosts: [String] = [],
        insecure: Bool = false, amqpURL: String? = nil, amqpExchange: String = "logstash", amqpConsumers: Int = 1,
        redisURL: String? = nil, redisSources: [(list: String, index: String)] = [], indexes: [IndexDeclaration] = []
    ) {
        self.data = data
        self.mysqlListen = mysqlListen
        self.mysqlUser = mysqlUser
        self.mysqlPassword = mysqlPassword
        self.serverVersion = serverVersion
        self.maxPacket = maxPacket
        self.mysqlInsecure = mysqlInsecure
        self.queryTimeoutMs = queryTimeoutMs
        self.httpListen = httpListen
        self.maxBody = maxBody
        self.httpToken = httpToken
        self.httpUser = httpUser
        self.httpPassword = httpPassword
        self.httpAllowedHosts = httpAllowedHosts
        self.insecure = insecure
        self.amqpURL = amqpURL
        self.amqpExchange = amqpExchange
        self.amqpConsumers = amqpConsumers
        self.redisURL = redisURL
        self.redisSources = redisSources
        self.indexes = indexes
    }

    public func validate() throws {
        // Logs are often sensitive: a listener other machines can reach needs credentials,
        // unless told otherwise.
        if mysqlListen != "off" {
            let address = try ListenAddress(mysqlListen)
            if !address.isLoopback && mysqlUser == nil && !mysqlInsecure {
                throw SettingsError("SphinxQL on \(mysqlListen) is reachable from other machines: set --mysql-user and --mysql-password, or pass --insecure")
            }
        }
        if httpListen != "off" {
            let address = try ListenAddress(httpListen)
            if !address.isLoopback && httpToken == nil && httpUser == nil && !insecure {
                throw SettingsError("HTTP on \(httpListen) is reachable from other machines: set --http-token or --http-user/--http-password, or pass --insecure")
            }
        }
        // Half an account is a mistake, not "no authentication".
        if sphinxAPIListen != "off" {
            // The protocol has no authentication at all (searchd's agents have none either).
            let address = try ListenAddress(sphinxAPIListen)
            if !address.isLoopback && !insecure {
                throw SettingsError(
                    "SphinxAPI on \(sphinxAPIListen) is reachable from other machines and the protocol has no authentication: bind it to a private network and pass --insecure")
            }
        }
        _ = try searchThroughAddress()
        if let node, !(0..<DocumentID.maxNodes).contains(node) {
            throw SettingsError("--node must be in 0...\(DocumentID.maxNodes - 1), not \(node)")
        }
        if mysqlPassword != nil && mysqlUser == nil { throw SettingsError("--mysql-password needs --mysql-user") }
        if mysqlUser != nil && mysqlPassword == nil { throw SettingsError("--mysql-user needs --mysql-password (or $ALCO_MYSQL_PASSWORD)") }
        if httpPassword != nil && httpUser == nil { throw SettingsError("--http-password needs --http-user") }
        if httpUser != nil && httpPassword == nil { throw SettingsError("--http-user needs --http-password (or $ALCO_HTTP_PASSWORD)") }
        if let token = httpToken, token.isEmpty { throw SettingsError("--http-token must not be empty") }
        guard (1024...(1 << 30)).contains(maxPacket) else {
            throw SettingsError("the largest MySQL packet must be from 1024 bytes to 1 GiB, not \(maxPacket)")
        }
        guard (1024...(1 << 34)).contains(maxBody) else {
            throw SettingsError("the largest HTTP body must be from 1024 bytes to 16 GiB, not \(maxBody)")
        }
        guard (0...100_000).contains(verifyRateMB) else {
            throw SettingsError("the verify rate must be from 0 (none) to 100000 MB/s, not \(verifyRateMB)")
        }
        guard (0...86_400_000).contains(slowQueryMs) else {
            throw SettingsError("the slow query threshold must be from 0 (none) to 86400000 ms, not \(slowQueryMs)")
        }
        guard (0...86_400_000).contains(queryTimeoutMs) else {
            throw SettingsError("the query timeout must be from 0 (none) to 86400000 ms, not \(queryTimeoutMs)")
        }
        guard serverVersion.first?.isNumber == true else {
            throw SettingsError("the server version must start with a MySQL-style number such as 5.7.99")
        }
        if !redisSources.isEmpty && redisURL == nil { throw SettingsError("Redis sources need a Redis URL (--redis)") }
        do {
            _ = try redisURL.map(RedisURL.init)
            _ = try amqpURL.map(AMQPURL.init)
        } catch {
            throw SettingsError("\(error)")
        }
        guard QueueBinding.consumerRange.contains(amqpConsumers) else { throw SettingsError("AMQP consumers must be from 1 to 64") }
        for w in watches {
            guard !w.pattern.isEmpty else { throw SettingsError("a watch needs a glob of files") }
            guard IndexSettings.isValidName(w.index) else { throw SettingsError("watch \(w.pattern): '\(w.index)' is not an index name") }
            guard LineFormat(name: w.format) != nil else {
                throw SettingsError("watch \(w.pattern): no format '\(w.format)' (see `alco ingest --list-formats`)")
            }
            do { _ = try MultilineRule(w.multiline) } catch { throw SettingsError("watch \(w.pattern): multiline: \(error)") }
            guard (10...3_600_000).contains(w.idleMilliseconds) else {
                throw SettingsError("the watch idle time must be from 10 to 3600000 ms, not \(w.idleMilliseconds)")
            }
        }
        if Set(watches.map(\.pattern)).count < watches.count { throw SettingsError("a glob is watched twice") }
    }

    /// Creates the indexes the config file lists and brings existing ones to its settings.
    public func applyIndexes(to catalog: Catalog) throws {
        for i in indexes {
            func change(_ s: inout IndexSettings) throws {
                if let v = i.retentionDays { s.retentionDays = v }
                if let v = i.timezone { s.timeZone = v }
                if let v = i.producerTimezone { s.producerTimeZone = v }
                var binding = try QueueBinding(s)
                if let v = i.queue { binding.queue = v }
                if let v = i.routingKeys { binding.routingKeys = v }
                if let v = i.durable { binding.durable = v }
                if let v = i.consumers { binding.consumers = v }
                try binding.store(in: &s)
            }
            if catalog.indexIfExists(i.name) != nil {
                _ = try catalog.alterIndex(i.name) { try change(&$0) }
            } else {
                var s = IndexSettings(name: i.name)
                try change(&s)
                _ = try catalog.createIndex(s)
            }
        }
    }
}
