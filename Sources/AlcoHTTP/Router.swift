import AlcoIndex
import AlcoIngest
import Foundation
import Hummingbird
import NIOCore

/// Builds every HTTP route of `alco serve`; tests call it too, so they exercise exactly what
/// the server runs.
public func buildRouter(_ services: HTTPServices) -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: RequestMetricsMiddleware(logger: services.logger))
    router.add(middleware: RequestGuardMiddleware(guarding: services.requestGuard))
    router.add(middleware: AuthMiddleware(auth: services.auth))
    // Ready: this router answers only once the data directory is open (WAL replayed) and
    // every listener is bound; until then the opening router says 503 "opening".
    router.get(RouterPath(HealthProbe.readiness)) { _, _ in
        Response.json(.object([("status", .string("ok")), ("indexes", .number(text: String(services.catalog.indexes.count)))]))
    }
    router.get(RouterPath(HealthProbe.liveness)) { _, _ in HealthProbe.live() }
    router.get("/metrics") { _, _ in
        Response.text(Metrics.render(services), contentType: "text/plain; version=0.0.4")
    }
    // The web UI to browsers; Elasticsearch shippers probe the root before sending bulk requests.
    router.get("/") { request, _ in
        if WebRoutes.wantsHTML(request) { return WebRoutes.page() }
        return Response.json(
            .object([
                ("name", .string("alco")), ("cluster_name", .string("alco")),
                (
                    "version",
                    .object([
                        ("number", .string("7.10.2")), ("distribution", .string("alco")),
                        ("build_flavor", .string("oss")),
                    ])
                ),
                ("tagline", .string("alco: logs you can grep, over the Elasticsearch bulk API too")),
            ]))
    }
    router.get("/grep/{index}/") { _, _ in WebRoutes.page() }
    router.get("/assets/{file}") { _, context in WebRoutes.asset(try context.parameters.require("file")) }
    router.get("/grep/shortcut/{name}/") { _, context in
        try ShortcutRoutes.follow(try context.parameters.require("name"), value: nil, services: services)
    }
    router.get("/grep/shortcut/{name}/{value}/") { _, context in
        try ShortcutRoutes.follow(try context.parameters.require("name"), value: context.parameters.get("value"), services: services)
    }
    router.get("/api/v1/openapi.json") { _, _ in Response.text(OpenAPIDocument.json, contentType: "application/json") }
    router.get("/api/v1/search") { request, _ in try await SearchRoute.handle(request, services: services) }
    router.get("/api/v1/tail") { request, _ in try await TailRoute.handle(request, services: services) }
    router.get("/api/v1/indexes") { _, _ in try await IndexRoutes.list(services: services) }
    router.post("/api/v1/indexes") { request, _ in try await IndexRoutes.create(request, services: services) }
    router.get("/api/v1/indexes/{name}") { _, context in try await IndexRoutes.show(try context.parameters.require("name"), services: services) }
    router.patch("/api/v1/indexes/{name}") { request, context in
        try await IndexRoutes.alter(try context.parameters.require("name"), request, services: services)
    }
    router.delete("/api/v1/indexes/{name}") { _, context in try IndexRoutes.drop(try context.parameters.require("name"), services: services) }
    router.get("/api/v1/shortcuts") { _, _ in try ShortcutRoutes.list(services: services) }
    router.put("/api/v1/shortcuts/{name}") { request, context in
        try await ShortcutRoutes.save(try context.parameters.require("name"), request, services: services)
    }
    router.delete("/api/v1/shortcuts/{name}") { _, context in try ShortcutRoutes.remove(try context.parameters.require("name"), services: services) }
    router.get("/api/v1/context") { request, _ in try await ExploreRoutes.context(request, services: services) }
    router.get("/api/v1/fields") { request, _ in try await ExploreRoutes.fields(request, services: services) }
    router.get("/api/v1/values") { request, _ in try await ExploreRoutes.values(request, services: services) }
    router.get("/api/v1/patterns") { request, _ in try await ExploreRoutes.patterns(request, services: services) }
    router.get("/api/v1/histogram") { request, _ in try await ExploreRoutes.histogram(request, services: services) }
    // Hummingbird matches these with or without the trailing slash ALCO's URLs had.
    router.get("/api/grep/{index}/") { request, context in
        try await ALCORoutes.grep(request, index: try context.parameters.require("index"), services: services)
    }
    router.get("/api/collector/indices/") { _, _ in ALCORoutes.indices(services: services) }
    router.post("/api/v1/ingest/{index}") { request, context in
        let name = try context.parameters.require("index")
        let q = request.formParameters
        let index = try LineIngest.target(name, create: q["create"] == "true", services: services)
        let body = try await IngestBody.read(request, limit: services.maxBodyBytes)
        let messageField = q["message_field"].map(String.init)
        let timeField = q["time_field"].map(String.init)
        let formatName = q["format"].map(String.init) ?? "json"
        guard let format = LineFormat(name: formatName) else {
            throw APIError.badRequest("format must be json, text, auto or a log format's name (alco ingest --list-formats), not '\(formatName)'")
        }
        let extra = try LineIngest.extraFields(q)
        let report = try await offloadWrite {
            try LineIngest.ingest(
                body, into: index, rejects: services.rejects, source: "http:\(name)",
                messageField: messageField, timeField: timeField, format: format, extraFields: extra)
        }
        services.ingestCounters.add(name, stored: report.stored, rejected: report.rejectedByReason)
        return Response.json(report.json)
    }
    let bulk: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
        let defaultIndex = context.parameters.get("index")
        let body = try await IngestBody.read(request, limit: services.maxBodyBytes)
        var decoder = LogstashDecoder()
        let q = request.formParameters
        if let m = q["message_field"] { decoder.messageField = String(m) }
        if let t = q["time_field"] { decoder.timeField = String(t) }
        let d = decoder
        // A write (each item's index appends, durably): on the write threads.
        let (response, counts) = try await EngineThreads.writes.runIfActive {
            try BulkIngest.run(body, defaultIndex: defaultIndex, catalog: services.catalog, decoder: d, rejects: services.rejects)
        }
        for (name, c) in counts { services.ingestCounters.add(name, stored: c.stored, rejected: c.rejected) }
        return Response.json(response)
    }
    router.post("/_bulk", use: bulk)
    router.post("/{index}/_bulk", use: bulk)
    router.put("/_bulk", use: bulk)
    router.put("/{index}/_bulk", use: bulk)
    return router
}

/// What the HTTP listener answers while `alco serve` is still opening the data directory
/// (replaying the write-ahead log): 503 with a JSON error for every path and method.
public func buildOpeningRouter() -> Router<BasicRequestContext> {
    let router = Router()
    let opening: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
        // The process is alive while it opens: liveness says so, readiness does not yet.
        if request.uri.path == HealthProbe.liveness { return HealthProbe.live() }
        var response =
            request.uri.path == HealthProbe.readiness
            ? Response.json(.object([("status", .string("opening"))]), status: .serviceUnavailable)
            : Response.json(
                .object([
                    ("error", .string("opening")),
                    ("detail", .string("alco is opening its data directory; try again in a moment")),
                ]),
                status: .serviceUnavailable)
        response.headers[.retryAfter] = "1"
        return response
    }
    for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete, .head] {
        router.on("/", method: method, use: opening)
        router.on("**", method: method, use: opening)
    }
    return router
}

/// The body of an ingest request, inflated when `Content-Encoding: gzip`, within the limit.
enum IngestBody {
    static func read(_ request: Request, limit: Int) async throws -> [UInt8] {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.tooLarge(limit)
        }
        let raw = Array(buffer.readableBytesView)
        let encoding = request.headers[.contentEncoding]?.lowercased() ?? ""
        guard encoding.contains("gzip") || encoding.contains("deflate") else { return raw }
        do {
            return try Gzip.inflate(raw, limit: limit)
        } catch .tooLarge {
            throw APIError.tooLarge(limit)
        } catch .corrupt(let why) {
            throw APIError.badRequest(why)
        }
    }
}
