import AlcoCollector
import AlcoIndex
import AlcoIngest
import SphinxQLExecution
import ArgumentParser
import Foundation
import Yams

/// `alco serve`'s settings from one YAML file (`--config`, or `$ALCO_CONFIG`); every value
/// can be overridden by an environment variable and then by a flag. See `alco.example.yaml`.
struct ConfigFile: Decodable, Equatable {
    struct MySQL: Decodable, Equatable {
        var listen: String?
        var user: String?
        var password: String?
        var serverVersion: String?
        var maxPacket: Int?
        var insecure: Bool?
    }

    struct HTTP: Decodable, Equatable {
        var listen: String?
        var maxBody: Int?
        var token: String?
        var user: String?
        var password: String?
        var insecure: Bool?
        var allowedHosts: [String]?
    }

    struct AMQP: Decodable, Equatable {
        var url: String?
        var exchange: String?
        var consumers: Int?
    }

    struct Redis: Decodable, Equatable {
        struct Source: Decodable, Equatable {
            var list: String
            var index: String
        }

        var url: String?
        var sources: [Source]?
    }

    struct Index: Decodable, Equatable {
        var name: String
        var retentionDays: Int?
        var queue: String?
        var routingKeys: [String]?
        var durable: Bool?
        var timezone: String?
        var producerTimezone: String?
        var consumers: Int?
    }

    var data: String?
    var mysql: MySQL?
    var http: HTTP?
    var amqp: AMQP?
    var redis: Redis?
    var indexes: [Index]?
    var queryTimeoutMs: Int?

    static func load(_ path: String) throws -> ConfigFile {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("cannot read the config file \(path)")
        }
        do {
            let decoder = YAMLDecoder()
            return try decoder.decode(ConfigFile.self, from: text, userInfo: [:])
        } catch {
            throw ValidationError("config file \(path): \(error)")
        }
    }
}

// Keys are snake_case in the file.
extension ConfigFile {
    enum CodingKeys: String, CodingKey {
        case data, mysql, http, amqp, redis, indexes
        case queryTimeoutMs = "query_timeout_ms"
    }
}

extension ConfigFile.MySQL {
    enum CodingKeys: String, CodingKey {
        case listen, user, password, insecure
        case serverVersion = "server_version", maxPacket = "max_packet"
    }
}

extension ConfigFile.HTTP {
    enum CodingKeys: String, CodingKey {
        case listen, token, user, password, insecure
        case maxBody = "max_body", allowedHosts = "allowed_hosts"
    }
}

extension ConfigFile.Index {
    enum CodingKeys: String, CodingKey {
        case name, queue, durable, timezone, consumers
        case retentionDays = "retention_days", routingKeys = "routing_keys", producerTimezone = "producer_timezone"
    }
}

/// The settings `serve` runs with: flag, else environment variable, else config file, else
/// the built-in default.
struct ServeSettings {
    var data: String
    var mysqlListen: String
    var mysqlUser: String?
    var mysqlPassword: String?
    var serverVersion: String
    var maxPacket: Int
    var mysqlInsecure: Bool
    /// The bound on any query's time, in ms (0: none).
    var queryTimeoutMs: Int
    var httpListen: String
    var maxBody: Int
    var httpToken: String?
    var httpUser: String?
    var httpPassword: String?
    var httpAllowedHosts: [String]
    var insecure: Bool
    var amqpURL: String?
    var amqpExchange: String
    var amqpConsumers: Int
    var redisURL: String?
    var redisSources: [(list: String, index: String)]
    var indexes: [ConfigFile.Index]

    static func resolve(_ flags: Serve, environment env: [String: String] = ProcessInfo.processInfo.environment) throws -> ServeSettings {
        let file = try (flags.config ?? env["ALCO_CONFIG"]).map(ConfigFile.load) ?? ConfigFile()
        func int(_ name: String) throws -> Int? {
            guard let text = env[name] else { return nil }
            guard let n = Int(text) else { throw ValidationError("\(name) must be a number, not '\(text)'") }
            return n
        }
        var sources: [(String, String)] = file.redis?.sources?.map { ($0.list, $0.index) } ?? []
        let sourceSpecs = flags.redisSources.isEmpty ? (env["ALCO_REDIS_SOURCES"]?.split(separator: ",").map(String.init) ?? []) : flags.redisSources
        if !sourceSpecs.isEmpty {
            sources = try sourceSpecs.map { spec in
                let parts = spec.split(separator: "=").map(String.init)
                guard parts.count == 2 else { throw ValidationError("a Redis source is LIST=INDEX, not '\(spec)'") }
                return (parts[0], parts[1])
            }
        }
        let s = ServeSettings(
            data: flags.data.data ?? env["ALCO_DATA"] ?? file.data ?? "alco-data",
            mysqlListen: flags.mysqlAddress ?? env["ALCO_MYSQL"] ?? file.mysql?.listen ?? "127.0.0.1:9306",
            mysqlUser: flags.mysqlUser ?? env["ALCO_MYSQL_USER"] ?? file.mysql?.user,
            mysqlPassword: flags.mysqlPassword ?? env["ALCO_MYSQL_PASSWORD"] ?? file.mysql?.password,
            serverVersion: flags.serverVersion ?? env["ALCO_SERVER_VERSION"] ?? file.mysql?.serverVersion ?? ServerInfo.version,
            maxPacket: try flags.maxPacket ?? int("ALCO_MAX_PACKET") ?? file.mysql?.maxPacket ?? 64 << 20,
            mysqlInsecure: flags.insecure || env["ALCO_INSECURE"] == "1" || (file.mysql?.insecure ?? false),
            queryTimeoutMs: try flags.queryTimeoutMs ?? int("ALCO_QUERY_TIMEOUT_MS") ?? file.queryTimeoutMs ?? 30_000,
            httpListen: flags.httpAddress ?? env["ALCO_HTTP"] ?? file.http?.listen ?? "127.0.0.1:8080",
            maxBody: try flags.maxBody ?? int("ALCO_MAX_BODY") ?? file.http?.maxBody ?? 64 << 20,
            httpToken: flags.httpToken ?? env["ALCO_HTTP_TOKEN"] ?? file.http?.token,
            httpUser: flags.httpUser ?? env["ALCO_HTTP_USER"] ?? file.http?.user,
            httpPassword: flags.httpPassword ?? env["ALCO_HTTP_PASSWORD"] ?? file.http?.password,
            httpAllowedHosts: (flags.httpAllowedHosts ?? env["ALCO_HTTP_ALLOWED_HOSTS"])
                .map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
                ?? file.http?.allowedHosts ?? [],
            insecure: flags.insecure || env["ALCO_INSECURE"] == "1" || (file.http?.insecure ?? false),
            amqpURL: flags.amqpURL ?? env["ALCO_AMQP_URL"] ?? file.amqp?.url,
            amqpExchange: flags.amqpExchange ?? env["ALCO_AMQP_EXCHANGE"] ?? file.amqp?.exchange ?? "logstash",
            amqpConsumers: try flags.amqpConsumers ?? int("ALCO_AMQP_CONSUMERS") ?? file.amqp?.consumers ?? 1,
            redisURL: flags.redisURL ?? env["ALCO_REDIS_URL"] ?? file.redis?.url,
            redisSources: sources,
            indexes: file.indexes ?? [])
        try s.validate()
        return s
    }

    func validate() throws {
        // Logs are often sensitive: a listener other machines can reach needs credentials,
        // unless told otherwise.
        if mysqlListen != "off" {
            let address = try ListenAddress(mysqlListen)
            if !address.isLoopback && mysqlUser == nil && !mysqlInsecure {
                throw ValidationError("SphinxQL on \(mysqlListen) is reachable from other machines: set --mysql-user and --mysql-password, or pass --insecure")
            }
        }
        if httpListen != "off" {
            let address = try ListenAddress(httpListen)
            if !address.isLoopback && httpToken == nil && httpUser == nil && !insecure {
                throw ValidationError("HTTP on \(httpListen) is reachable from other machines: set --http-token or --http-user/--http-password, or pass --insecure")
            }
        }
        // Half an account is a mistake, not "no authentication".
        if mysqlPassword != nil && mysqlUser == nil { throw ValidationError("--mysql-password needs --mysql-user") }
        if mysqlUser != nil && mysqlPassword == nil { throw ValidationError("--mysql-user needs --mysql-password (or $ALCO_MYSQL_PASSWORD)") }
        if httpPassword != nil && httpUser == nil { throw ValidationError("--http-password needs --http-user") }
        if httpUser != nil && httpPassword == nil { throw ValidationError("--http-user needs --http-password (or $ALCO_HTTP_PASSWORD)") }
        if let token = httpToken, token.isEmpty { throw ValidationError("--http-token must not be empty") }
        guard (1024...(1 << 30)).contains(maxPacket) else {
            throw ValidationError("the largest MySQL packet must be from 1024 bytes to 1 GiB, not \(maxPacket)")
        }
        guard (1024...(1 << 34)).contains(maxBody) else {
            throw ValidationError("the largest HTTP body must be from 1024 bytes to 16 GiB, not \(maxBody)")
        }
        guard (0...86_400_000).contains(queryTimeoutMs) else {
            throw ValidationError("the query timeout must be from 0 (none) to 86400000 ms, not \(queryTimeoutMs)")
        }
        guard serverVersion.first?.isNumber == true else {
            throw ValidationError("the server version must start with a MySQL-style number such as 5.7.99")
        }
        if !redisSources.isEmpty && redisURL == nil { throw ValidationError("Redis sources need a Redis URL (--redis)") }
        do {
            _ = try redisURL.map(RedisURL.init)
            _ = try amqpURL.map(AMQPURL.init)
        } catch {
            throw ValidationError("\(error)")
        }
        guard (1...64).contains(amqpConsumers) else { throw ValidationError("AMQP consumers must be from 1 to 64") }
    }

    /// Creates the indexes the config file lists and brings existing ones to its settings.
    func applyIndexes(to catalog: Catalog) throws {
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
