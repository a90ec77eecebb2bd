import AlcoIndex
import AlcoIngest
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import AlcoHTTP

/// The v1 API beyond plain search pages: NDJSON export, highlights, index admin, shortcuts,
/// the OpenAPI document, authentication and the web UI's assets.
@Suite struct APIRouteTests {
    typealias Get = (String) async throws -> (HTTPResponse.Status, HTTPFields, ByteBuffer)

    static func withClient(
        auth: HTTPAuth = HTTPAuth(),
        _ body: @escaping @Sendable (HTTPServices, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await RouteTests.withServices { services, _ in
            var s = services
            s.auth = auth
            let configured = s
            let app = Application(router: buildRouter(configured))
            try await app.test(.router) { client in try await body(configured, client) }
        }
    }

    static func get(_ client: any TestClientProtocol, _ uri: String, headers: HTTPFields = [:]) async throws -> (HTTPResponse.Status, HTTPFields, ByteBuffer) {
        try await client.execute(uri: uri, method: .get, headers: headers) { ($0.status, $0.headers, $0.body) }
    }

    static func send(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ body: String) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(uri: uri, method: method, body: ByteBuffer(string: body)) { ($0.status, try RouteTests.json($0.body)) }
    }

    static func lines(_ count: Int, into index: LogIndex, base: Int64 = 1_795_600_000_000_000) throws {
        var batch: [NewDocument] = []
        for k in 0..<count {
            batch.append(
                NewDocument(
                    microseconds: base + Int64(k) * 1000, logline: "line \(k) \(k % 2 == 0 ? "even" : "odd")",
                    js: .object([("host", .string("h\(k % 3)")), ("n", .number(text: String(k)))])))
        }
        try index.append(batch)
    }

    @Test func ndjsonStreamsEveryMatchInTimeOrderAcrossPages() async throws {
        try await Self.withClient { services, client in
            let index = try services.catalog.index("app")
            try Self.lines(SearchRoute.streamPage + 1500, into: index)
            let (status, headers, body) = try await Self.get(client, "/api/v1/search?index=app&q=even&format=ndjson")
            #expect(status == .ok && headers[.contentType] == "application/x-ndjson")
            let rows = String(buffer: body).split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
            #expect(rows.count == (SearchRoute.streamPage + 1500) / 2, "no page wall")
            let ids = rows.map { UInt64($0["id"] as! String)! }
            #expect(ids == ids.sorted() && Set(ids).count == ids.count, "oldest first, each line once")
            #expect(rows.allSatisfy { ($0["logline"] as! String).hasSuffix(" even") })
            // A limit, the Accept header, and descending order.
            let (_, _, limited) = try await Self.get(client, "/api/v1/search?index=app&order=desc&limit=3", headers: [.accept: "application/x-ndjson"])
            let last = String(buffer: limited).split(separator: "\n").map { String($0) }
            #expect(last.count == 3 && last[0].contains("\"line \(SearchRoute.streamPage + 1499) odd\""))
            // A bad query is a 400 before anything streams.
            let (bad, _, _) = try await Self.get(client, "/api/v1/search?index=app&q=%22unclosed&format=ndjson")
            #expect(bad == .badRequest)
            let (badFormat, _, _) = try await Self.get(client, "/api/v1/search?index=app&format=xml")
            #expect(badFormat == .badRequest)
        }
    }

    @Test func highlightsAreUTF16SpansAndFiltersCombine() async throws {
        try await Self.withClient { services, client in
            let index = try services.catalog.index("app")
            try index.append([
                NewDocument(microseconds: 1_795_600_000_000_000, logline: "ошибка: timeout on 🚀 node", js: .object([("host", .string("a"))])),
                NewDocument(microseconds: 1_795_600_001_000_000, logline: "timeout again", js: .object([("host", .string("b"))])),
                NewDocument(microseconds: 1_795_600_002_000_000, logline: "timeout third", js: .object([("host", .string("c"))])),
            ])
            let (_, _, body) = try await Self.get(client, "/api/v1/search?index=app&q=timeout%20%7C%20node&highlight=true&order=asc")
            let hits = try RouteTests.json(body)["hits"] as! [[String: Any]]
            let first = hits[0]["logline"] as! String
            let spans = hits[0]["highlight"] as! [[Int]]
            let utf16 = Array(first.utf16)
            let marked = spans.map { String(decoding: utf16[$0[0]..<$0[1]], as: UTF16.self) }
            #expect(marked == ["timeout", "node"], "offsets count UTF-16 units, past Cyrillic and an emoji")
            // Values of one key are alternatives; a leading minus excludes.
            let (_, _, either) = try await Self.get(client, "/api/v1/search?index=app&field=host:a&field=host:c")
            #expect((try RouteTests.json(either)["hits"] as! [[String: Any]]).count == 2)
            let (_, _, not) = try await Self.get(client, "/api/v1/search?index=app&field=-host:a")
            #expect((try RouteTests.json(not)["hits"] as! [[String: Any]]).map { $0["logline"] as! String }.sorted() == ["timeout again", "timeout third"])
            // Context marks another query's matches in unfiltered lines.
            let id = (hits[1]["id"] as! String)
            let (_, _, context) = try await Self.get(client, "/api/v1/context?index=app&id=\(id)&hl_q=third")
            let after = try RouteTests.json(context)["after"] as! [[String: Any]]
            #expect(after.count == 1 && (after[0]["highlight"] as! [[Int]]) == [[8, 13]])
        }
    }

    @Test func indexAdministration() async throws {
        try await Self.withClient { services, client in
            var (status, body) = try await Self.send(
                client, .post, "/api/v1/indexes",
                #"{"name": "web", "retention_days": 7, "time_zone": "Europe/Moscow", "columns": {"host": {"filtered": true}}}"#)
            #expect(status == .created && body["retention_days"] as? Int == 7 && body["time_zone"] as? String == "Europe/Moscow")
            #expect(services.catalog.indexIfExists("web")?.columns.column("host")?.filtered == true)
            (status, _) = try await Self.send(client, .post, "/api/v1/indexes", #"{"name": "web"}"#)
            #expect(status == .conflict)
            (status, body) = try await Self.send(client, .post, "/api/v1/indexes", #"{"name": "bad name"}"#)
            #expect(status == .badRequest)
            (status, body) = try await Self.send(client, .post, "/api/v1/indexes", #"{"name": "x", "retention_days": "many"}"#)
            #expect(status == .badRequest && (body["detail"] as? String)?.contains("retention_days") == true)
            (status, body) = try await Self.send(client, .patch, "/api/v1/indexes/web", #"{"retention_days": 3, "columns": {"host": {"display": false}}}"#)
            #expect(status == .ok && body["retention_days"] as? Int == 3)
            #expect(services.catalog.indexIfExists("web")?.settings.retentionDays == 3)
            (status, _) = try await Self.send(client, .patch, "/api/v1/indexes/web", #"{"colour": "red"}"#)
            #expect(status == .badRequest)
            // The queue binding: set, shown, and each key checked for its type and bounds.
            (status, body) = try await Self.send(
                client, .patch, "/api/v1/indexes/web", #"{"queue": "web_q", "routing_keys": ["logstash.web.#"], "consumers": 3, "durable": true}"#)
            #expect(status == .ok && body["queue"] as? String == "web_q" && body["consumers"] as? Int == 3)
            #expect(body["routing_keys"] as? [String] == ["logstash.web.#"] && body["durable"] as? Bool == true)
            for (bad, key) in [
                (#"{"consumers": 65}"#, "consumers"), (#"{"queue": 5}"#, "queue"), (#"{"durable": "yes"}"#, "durable"),
                (#"{"routing_keys": ["a", 1]}"#, "routing_keys"), (#"{"queue": ""}"#, "queue"),
            ] {
                (status, body) = try await Self.send(client, .patch, "/api/v1/indexes/web", bad)
                #expect(status == .badRequest && (body["detail"] as? String)?.contains(key) == true, "\(bad)")
            }
            #expect(try QueueBinding(services.catalog.indexIfExists("web")!.settings).queue == "web_q", "a refused change changes nothing")
            let (listed, _, list) = try await Self.get(client, "/api/v1/indexes")
            let indexes = try RouteTests.json(list)["indexes"] as! [[String: Any]]
            #expect(listed == .ok && indexes.map { $0["name"] as! String } == ["app", "web"])
            #expect((indexes[0]["per_minute"] as! [Int]).count == IndexRoutes.sparklineMinutes)
            let created = LockedBox<[String]>([])
            var withHooks = services
            withHooks.indexDropping = { name in created.mutate { $0.append(name) } }
            let app = Application(router: buildRouter(withHooks))
            try await app.test(.router) { other in
                let (dropped, _) = try await Self.send(other, .delete, "/api/v1/indexes/web", "")
                #expect(dropped == .ok)
                let (missing, _) = try await Self.send(other, .delete, "/api/v1/indexes/web", "")
                #expect(missing == .notFound)
            }
            #expect(created.value == ["web"], "the collector hears of a drop before it happens")
            #expect(services.catalog.indexIfExists("web") == nil)
        }
    }

    @Test func ingestCanCreateTheIndexAndTagPlainLines() async throws {
        try await Self.withClient { services, client in
            let (missing, _) = try await Self.send(client, .post, "/api/v1/ingest/loghub?format=text", "one\n")
            #expect(missing == .notFound)
            let (status, body) = try await Self.send(
                client, .post, "/api/v1/ingest/loghub?format=text&create=true&field=system:HDFS",
                "081109 203615 148 INFO dfs.DataNode: one\n{\"not\": \"json here\"}\n")
            #expect(status == .ok && body["stored"] as? Int == 2)
            let hits = try services.catalog.index("loghub").search(SearchRequest(order: .idAscending)).hits
            #expect(hits.map(\.logline) == ["081109 203615 148 INFO dfs.DataNode: one", "{\"not\": \"json here\"}"])
            // The field, then the pattern each line was given (on by default).
            #expect(hits.allSatisfy { $0.js.wholeMatch(of: #/\{"system":"HDFS","pattern":"\d+"\}/#) != nil }, "\(hits.map(\.js))")
        }
    }

    @Test func shortcutsSaveListAndRedirect() async throws {
        try await Self.withClient { _, client in
            var (status, _) = try await Self.send(
                client, .put, "/api/v1/shortcuts/request",
                #"{"url": "/grep/app/?q=error", "default_field": "request_id", "description": "one request"}"#)
            #expect(status == .ok)
            (status, _) = try await Self.send(client, .put, "/api/v1/shortcuts/evil", #"{"url": "https://elsewhere.example/"}"#)
            #expect(status == .badRequest, "shortcuts only lead to this server")
            let (_, _, list) = try await Self.get(client, "/api/v1/shortcuts")
            let saved = try JSONSerialization.jsonObject(with: Data(list.readableBytesView)) as! [[String: Any]]
            #expect(saved.map { $0["name"] as! String } == ["request"])
            let (redirect, headers, _) = try await Self.get(client, "/grep/shortcut/request/req-1%202/")
            #expect(redirect == .found && headers[.location] == "/grep/app/?q=error&field=request_id:req-1%202")
            let (unknown, _, _) = try await Self.get(client, "/grep/shortcut/nope/x/")
            #expect(unknown == .notFound)
            (status, _) = try await Self.send(client, .delete, "/api/v1/shortcuts/request", "")
            #expect(status == .ok)
        }
    }

    @Test func openAPIDocumentsEveryRoute() async throws {
        try await Self.withClient { _, client in
            let (status, _, body) = try await Self.get(client, "/api/v1/openapi.json")
            #expect(status == .ok)
            let doc = try RouteTests.json(body)
            let paths = Set((doc["paths"] as! [String: Any]).keys)
            let routes = [
                "/health", "/health/live", "/metrics", "/api/v1/search", "/api/v1/context", "/api/v1/tail", "/api/v1/fields",
                "/api/v1/values", "/api/v1/patterns", "/api/v1/histogram", "/api/v1/indexes", "/api/v1/indexes/{name}", "/api/v1/shortcuts",
                "/api/v1/shortcuts/{name}", "/api/v1/ingest/{index}", "/_bulk", "/{index}/_bulk", "/api/grep/{index}/",
                "/api/collector/indices/", "/api/v1/openapi.json",
            ]
            #expect(paths == Set(routes))
        }
    }

    @Test func credentialsGuardEverythingButHealth() async throws {
        let auth = HTTPAuth(bearerToken: "s3cret", user: "ops", password: "pw")
        try await Self.withClient(auth: auth) { _, client in
            let (open, _, _) = try await Self.get(client, "/health")
            #expect(open == .ok)
            let (live, _, _) = try await Self.get(client, "/health/live")
            #expect(live == .ok)
            let (denied, headers, body) = try await Self.get(client, "/api/v1/indexes")
            #expect(denied == .unauthorized && headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
            #expect(try RouteTests.json(body)["error"] as? String == "unauthorized")
            let (bearer, _, _) = try await Self.get(client, "/api/v1/indexes", headers: [.authorization: "Bearer s3cret"])
            #expect(bearer == .ok)
            let (wrong, _, _) = try await Self.get(client, "/api/v1/indexes", headers: [.authorization: "Bearer s3cre"])
            #expect(wrong == .unauthorized)
            let basic = "Basic " + Data("ops:pw".utf8).base64EncodedString()
            let (page, _, _) = try await Self.get(client, "/grep/app/", headers: [.authorization: basic])
            #expect(page == .ok)
            let badBasic = "Basic " + Data("ops:no".utf8).base64EncodedString()
            let (nope, _, _) = try await Self.get(client, "/grep/app/", headers: [.authorization: badBasic])
            #expect(nope == .unauthorized)
        }
    }

    @Test func webUIIsServedFromTheBinary() async throws {
        try await Self.withClient { _, client in
            let (status, headers, body) = try await Self.get(client, "/", headers: [.accept: "text/html,application/xhtml+xml"])
            #expect(status == .ok && headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
            #expect(String(buffer: body).contains("/assets/alco.js"))
            let (_, _, es) = try await Self.get(client, "/")
            #expect(try RouteTests.json(es)["tagline"] != nil, "Elasticsearch shippers still get the root JSON")
            let (js, jsHeaders, script) = try await Self.get(client, "/assets/alco.js")
            #expect(js == .ok && jsHeaders[.contentType]?.hasPrefix("text/javascript") == true)
            #expect(!String(buffer: script).contains("innerHTML"), "nothing is ever inserted as HTML")
            let (css, _, _) = try await Self.get(client, "/assets/alco.css")
            #expect(css == .ok)
            let (none, _, _) = try await Self.get(client, "/assets/..%2FPackage.swift")
            #expect(none == .notFound)
        }
    }
}

/// What the listener says while the data directory opens.
@Suite struct OpeningRouterTests {
    @Test func everythingIs503WithAReason() async throws {
        let app = Application(router: buildOpeningRouter())
        try await app.test(.router) { client in
            for (method, uri) in [
                (HTTPRequest.Method.get, "/api/v1/search?index=x&q=y"), (.post, "/api/v1/ingest/app"), (.get, "/"),
                (.get, "/grep/app/"), (.delete, "/api/v1/indexes/app"),
            ] {
                try await client.execute(uri: uri, method: method) { response in
                    #expect(response.status == .serviceUnavailable && response.headers[.retryAfter] == "1")
                    let body = try RouteTests.json(response.body)
                    #expect(body["error"] as? String == "opening", "\(method) \(uri)")
                }
            }
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = try RouteTests.json(response.body)
                #expect(body["status"] as? String == "opening")
            }
            // Alive while opening: an orchestrator must not restart a server replaying its log.
            try await client.execute(uri: "/health/live", method: .get) { response in
                #expect(response.status == .ok)
                let body = try RouteTests.json(response.body)
                #expect(body["status"] as? String == "live")
            }
        }
    }
}

/// The export's byte writer against the general formatters it replaces on the hot path.
@Suite struct HitEncoderTests {
    @Test func datesAndIdsMatchTheGeneralFormatters() throws {
        var rng = SystemRandomNumberGenerator()
        for zoneName in ["UTC", "Europe/Moscow", "America/St_Johns", "Australia/Lord_Howe", "America/New_York"] {
            let zone = TimeZone(identifier: zoneName)!
            var encoder = HitEncoder(zone: zone)
            // Sorted times, many to a second, across DST changes of 2026.
            var us: Int64 = 1_767_225_600_000_000
            for _ in 0..<3000 {
                us += Int64.random(in: 0...20_000_000_000, using: &rng)
                let id = DocumentID.make(microseconds: us, sequence: UInt64.random(in: 0...999, using: &rng))
                var out: [UInt8] = []
                encoder.write(Hit(id: id, logline: "a \"quoted\" line\twith\u{1} controls", js: #"{"k":1}"#, weight: 0, snippet: nil), to: &out)
                let parsed = try JSONSerialization.jsonObject(with: Data(out)) as! [String: Any]
                #expect(parsed["id"] as? String == String(id))
                #expect(parsed["datetime"] as? String == Timestamps.iso(microseconds: DocumentID.microseconds(of: id), zone: zone), "\(zoneName) \(us)")
                #expect(parsed["logline"] as? String == "a \"quoted\" line\twith\u{1} controls")
            }
        }
    }
}

/// A value several tasks may change.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T { lock.withLock { stored } }
    func mutate(_ change: (inout T) -> Void) { lock.withLock { change(&stored) } }
}
