import AlcoApplication
import AlcoCollector
import ArgumentParser
import Foundation
import Logging
import SphinxQLExecution
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

    var data: String?
    var mysql: MySQL?
    var http: HTTP?
    var amqp: AMQP?
    var redis: Redis?
    var indexes: [IndexDeclaration]?
    var queryTimeoutMs: Int?
    var sphinxapi: SphinxAPI?
    var node: Int?
    var searchThrough: String?
    var watch: [Watch]?
    var watchIdleMs: Int?
    var patterns: Bool?
    var slowQueryMs: Int?
    var verifyRateMB: Int?
    var logFormat: String?
    var logLevel: String?

    /// A file source: `files` is a glob.
    struct Watch: Decodable, Equatable {
        var files: String
        var index: String
        var format: String?
        var multiline: String?
    }

    struct SphinxAPI: Decodable, Equatable {
        var listen: String?
    }

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
        case data, mysql, http, amqp, redis, indexes, sphinxapi, node
        case queryTimeoutMs = "query_timeout_ms", searchThrough = "search_through", watch, watchIdleMs = "watch_idle_ms", patterns
        case slowQueryMs = "slow_query_ms", logFormat = "log_format", logLevel = "log_level", verifyRateMB = "verify_rate_mb"
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

extension ApplicationSettings {
    static func resolve(_ flags: Serve, environment env: [String: String] = ProcessInfo.processInfo.environment) throws -> ApplicationSettings {
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
        var s = ApplicationSettings(
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
        s.sphinxAPIListen = flags.sphinxAPIAddress ?? env["ALCO_SPHINXAPI"] ?? file.sphinxapi?.listen ?? "127.0.0.1:9312"
        s.node = try flags.node ?? int("ALCO_NODE") ?? file.node
        s.searchThrough = flags.searchThrough ?? env["ALCO_SEARCH_THROUGH"] ?? file.searchThrough
        s.patterns = flags.patterns ?? env["ALCO_PATTERNS"].map { $0 != "off" } ?? file.patterns ?? true
        s.slowQueryMs = try flags.slowQueryMs ?? int("ALCO_SLOW_QUERY_MS") ?? file.slowQueryMs ?? 1000
        s.verifyRateMB = try flags.verifyRate ?? int("ALCO_VERIFY_RATE") ?? file.verifyRateMB ?? 32
        let formatName = flags.logFormat ?? env["ALCO_LOG_FORMAT"] ?? file.logFormat ?? "text"
        guard let format = LineLogHandler.Format(rawValue: formatName) else {
            warn("alco: --log-format is text or json, not '\(formatName)'")
            throw ExitCode(2)
        }
        s.logFormat = format
        let levelName = flags.logLevel ?? env["ALCO_LOG_LEVEL"] ?? file.logLevel ?? "info"
        guard let level = Logger.Level(rawValue: levelName.lowercased()) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            warn("alco: --log-level is one of \(names), not '\(levelName)'")
            throw ExitCode(2)
        }
        s.logLevel = level
        let idle = try flags.watchIdleMs ?? int("ALCO_WATCH_IDLE_MS") ?? file.watchIdleMs ?? 1000
        let watchSpecs = flags.watches.isEmpty ? (env["ALCO_WATCH"]?.split(separator: ";").map(String.init) ?? []) : flags.watches
        do {
            if !watchSpecs.isEmpty {
                s.watches = try watchSpecs.map { try FileWatch(spec: $0) }
            } else {
                s.watches = (file.watch ?? []).map { w in
                    FileWatch(pattern: w.files, index: w.index, format: w.format ?? "auto", multiline: w.multiline ?? "auto")
                }
            }
        } catch {
            throw ValidationError("\(error)")
        }
        for i in s.watches.indices { s.watches[i].idleMilliseconds = idle }
        do {
            try s.validate()
        } catch let e as SettingsError {
            throw ValidationError(e.description)
        }
        return s
    }
}
