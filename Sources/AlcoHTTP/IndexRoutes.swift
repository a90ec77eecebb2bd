import AlcoAPI
import AlcoIndex
import AlcoIngest
import Foundation
import Hummingbird

/// Index administration over HTTP: `GET/POST /api/v1/indexes`, `GET/PATCH/DELETE
/// /api/v1/indexes/<name>`. The list carries each index's recent activity (lines in the
/// last 5 minutes and per-minute counts over the last hour) for the index page's sparklines.
enum IndexRoutes {
    static let sparklineMinutes = 60

    static func list(services: HTTPServices) async throws -> Response {
        let indexes = services.catalog.indexes
        let now = Int64(Date().timeIntervalSince1970 * 1e6)
        let described = try await offload { try indexes.map { try describe($0, now: now, activity: true) } }
        return Response.json(.object([("indexes", .array(described))]))
    }

    static func show(_ name: String, services: HTTPServices) async throws -> Response {
        let index = try existing(name, services)
        let now = Int64(Date().timeIntervalSince1970 * 1e6)
        return Response.json(try await offload { try describe(index, now: now, activity: true) })
    }

    static func create(_ request: Request, services: HTTPServices) async throws -> Response {
        let body = try await object(request, services)
        guard case .string(let name)? = body["name"] else { throw APIError.badRequest("name is required") }
        var settings = IndexSettings(name: name)
        try apply(body, to: &settings)
        let index: LogIndex
        do {
            index = try services.catalog.createIndex(settings)
        } catch AlcoError.indexExists {
            throw APIError(status: .conflict, error: "exists", detail: "index '\(name)' already exists")
        } catch let e as AlcoError {
            throw APIError.badRequest(e.description)
        }
        try applyColumns(body, to: index)
        services.indexCreated(index)
        return Response.json(try describe(index, now: 0, activity: false), status: .created)
    }

    static func alter(_ name: String, _ request: Request, services: HTTPServices) async throws -> Response {
        let index = try existing(name, services)
        let body = try await object(request, services)
        if body["name"].map({ $0 != .string(name) }) ?? false { throw APIError.badRequest("an index cannot be renamed") }
        do {
            try services.catalog.alterIndex(name) { try apply(body, to: &$0) }
        } catch let e as AlcoError {
            throw APIError.badRequest(e.description)
        }
        try applyColumns(body, to: index)
        return Response.json(try describe(index, now: 0, activity: false))
    }

    static func drop(_ name: String, services: HTTPServices) throws -> Response {
        _ = try existing(name, services)
        services.indexDropping(name)
        do {
            try services.catalog.dropIndex(name)
        } catch let e as AlcoError {
            throw APIError.badRequest(e.description)
        }
        return Response.json(.object([("dropped", .string(name))]))
    }

    static func existing(_ name: String, _ services: HTTPServices) throws -> LogIndex {
        guard let index = services.catalog.indexIfExists(name) else { throw APIError.notFound("no index '\(name)'") }
        return index
    }

    static func object(_ request: Request, _ services: HTTPServices) async throws -> [String: JSONValue] {
        let bytes = try await IngestBody.read(request, limit: 1 << 20)
        guard case .object(let members)? = try? JSONParser.parse(String(decoding: bytes, as: UTF8.self)) else {
            throw APIError.badRequest("the body must be a JSON object")
        }
        return Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
    }

    /// The settings a body names, each checked for its type and bounds.
    static func apply(_ body: [String: JSONValue], to s: inout IndexSettings) throws {
        let known: Set<String> = ["name", "retention_days", "queue", "routing_keys", "durable", "time_zone", "producer_time_zone", "consumers", "columns"]
        if let unknown = body.keys.sorted().first(where: { !known.contains($0) }) {
            throw APIError.badRequest("unknown setting '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        func string(_ key: String) throws -> String? {
            guard let v = body[key] else { return nil }
            guard case .string(let s) = v else { throw APIError.badRequest("\(key) must be a string") }
            return s
        }
        if let v = body["retention_days"] {
            guard let d = v.numberValue, d == d.rounded(), d >= 1, d <= 100_000 else {
                throw APIError.badRequest("retention_days must be a whole number of days, at least 1")
            }
            s.retentionDays = Int(d)
        }
        if let z = try string("time_zone") { s.timeZone = z }
        if let z = try string("producer_time_zone") { s.producerTimeZone = z }
        // The queue binding's keys are checked (type and bounds) as settings.json's are.
        for key in QueueBinding.settingKeys { if let v = body[key] { s.application[key] = v } }
        do {
            try QueueBinding(s).store(in: &s)
            try s.validate()
        } catch let e as AlcoError {
            throw APIError.badRequest(e.description)
        }
    }

    /// `"columns": {"host": {"filtered": true, "display": true}, …}` sets columns' flags,
    /// declaring those not seen yet.
    static func applyColumns(_ body: [String: JSONValue], to index: LogIndex) throws {
        guard let v = body["columns"] else { return }
        guard case .object(let columns) = v else { throw APIError.badRequest("columns must be an object of column flags") }
        for (name, flagsValue) in columns {
            guard case .object(let flags) = flagsValue else { throw APIError.badRequest("columns.\(name) must be an object of flags") }
            var changes: [(ColumnFlag, Bool)] = []
            for (flagName, value) in flags {
                guard case .bool(let b) = value else { throw APIError.badRequest("columns.\(name).\(flagName) must be true or false") }
                guard let flag = ColumnFlag(rawValue: flagName) else {
                    throw APIError.badRequest("unknown column flag '\(flagName)' (\(ColumnFlag.names))")
                }
                changes.append((flag, b))
            }
            try index.columns.declare(name) { c in for (flag, b) in changes { flag.set(b, on: &c) } }
        }
    }

    static func describe(_ index: LogIndex, now: Int64, activity: Bool) throws -> JSONValue {
        let s = index.settings
        let stats = index.stats()
        var problems = stats.problems
        // One index's hand-broken settings.json must not fail the list of all of them.
        let binding: QueueBinding
        do {
            binding = try QueueBinding(s)
        } catch {
            binding = QueueBinding()
            problems.append("\(error)")
        }
        var members: [(key: String, value: JSONValue)] = [
            ("name", .string(s.name)), ("retention_days", .number(text: String(s.retentionDays))),
            ("queue", .string(binding.queue)), ("routing_keys", .array(binding.routingKeys.map(JSONValue.string))),
            ("durable", .bool(binding.durable)), ("time_zone", .string(s.timeZone)), ("producer_time_zone", .string(s.producerTimeZone)),
            ("consumers", binding.consumers.map { .number(text: String($0)) } ?? .null),
            ("documents", .number(text: String(stats.documents))), ("disk_bytes", .number(text: String(stats.diskBytes))),
            ("days", .array(stats.days.map { .number(text: String($0.day)) })),
            ("problems", .array(problems.map(JSONValue.string))),
        ]
        if stats.lateArrivals.lines > 0 {
            let late = stats.lateArrivals
            let days = Int((Int64(Date().timeIntervalSince1970 * 1e6) - late.oldestMicroseconds) / 86_400_000_000) + 2
            members.append(
                (
                    "outside_retention",
                    .object([
                        ("lines", .number(text: String(late.lines))), ("oldest", .number(text: String(late.oldestMicroseconds / 1000))),
                        ("last_arrived", .number(text: String(late.lastArrivedMicroseconds / 1000))),
                        ("retention_days_needed", .number(text: String(days))),
                    ])
                ))
        }
        if activity {
            let perMinute = try recentCounts(index, now: now)
            members.append(("last_5m", .number(text: String(perMinute.suffix(5).reduce(0, +)))))
            members.append(("per_minute", .array(perMinute.map { .number(text: String($0)) })))
        }
        return .object(members)
    }

    /// Lines per minute over the last hour, oldest first; the last bucket is the current minute.
    static func recentCounts(_ index: LogIndex, now: Int64) throws -> [Int] {
        let minute: Int64 = 60_000_000
        let end = (now / minute + 1) * minute
        let snapshot = try index.snapshot()
        return try (0..<sparklineMinutes).map { i in
            let from = end - Int64(sparklineMinutes - i) * minute
            var r = SearchRequest(limit: 0)
            r.restrictTime(fromMicroseconds: from, toMicroseconds: from + minute - 1)
            r.countTotal = true
            r.loadDocuments = false
            return try Searcher.search(r, segments: snapshot).totalFound
        }
    }
}
