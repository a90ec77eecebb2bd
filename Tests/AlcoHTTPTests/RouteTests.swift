import AlcoIndex
import AlcoIngest
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import AlcoHTTP

/// Every route through Hummingbird's test client: no sockets, the same router `alco serve` runs.
@Suite struct RouteTests {
    static func withServices(_ body: (HTTPServices, String) async throws -> Void) async throws {
        let dir = NSTemporaryDirectory() + "alco-http-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = EngineOptions()
        options.backgroundMaintenance = false
        options.syncWrites = false
        let catalog = try Catalog(directory: dir + "/data", options: options)
        try catalog.createIndex(IndexSettings(name: "app"))
        let services = HTTPServices(catalog: catalog, rejects: try RejectStore(directory: dir + "/rejects"))
        try await body(services, dir)
        try catalog.close()
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] ?? [:]
    }

    @Test func ingestsJSONLinesAndReportsBadOnes() async throws {
        try await Self.withServices { services, dir in
            let app = Application(router: buildRouter(services))
            let body = """
                {"@timestamp": "2026-11-25T21:05:51.852258Z", "message": "payment failed", "levelname": "ERROR", "seq": 3}
                not json at all
                {"message": "no time"}

                {"@timestamp": "2026-11-25T21:05:52Z", "message": "second good line", "host": "vm"}
                """
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/v1/ingest/app", method: .post, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .ok)
                    let r = try Self.json(response.body)
                    #expect(r["stored"] as? Int == 2 && r["rejected"] as? Int == 2)
                    let errors = r["errors"] as? [[String: Any]] ?? []
                    #expect(errors.map { $0["line"] as? Int } == [2, 3])
                    #expect(errors.map { $0["reason"] as? String } == ["malformed_json", "missing_timestamp"])
                }
            }
            let hits = try services.catalog.index("app").search(SearchRequest(text: try QueryParser.parse("payment"))).hits
            #expect(hits.count == 1 && hits[0].js.contains("\"levelname\":\"ERROR\""))
            let rejects = try FileManager.default.contentsOfDirectory(atPath: dir + "/rejects")
            #expect(rejects.count == 1, "bad lines are kept with their reason")
        }
    }

    @Test func customFieldNamesAndGzip() async throws {
        try await Self.withServices { services, _ in
            let app = Application(router: buildRouter(services))
            let plain = #"{"ts": "2026-11-25 21:05:51", "msg": "custom fields line"}"# + "\n"
            let gz = try gzip(plain)
            try await app.test(.router) { client in
                try await client.execute(
                    uri: "/api/v1/ingest/app?message_field=msg&time_field=ts", method: .post,
                    headers: [.contentEncoding: "gzip"], body: ByteBuffer(bytes: gz)
                ) { response in
                    let r = try Self.json(response.body)
                    #expect(r["stored"] as? Int == 1)
                }
                try await client.execute(
                    uri: "/api/v1/ingest/app", method: .post, headers: [.contentEncoding: "gzip"],
                    body: ByteBuffer(bytes: Array(gz.prefix(10)))
                ) { response in
                    #expect(response.status == .badRequest)
                    let r = try Self.json(response.body)
                    #expect(r["error"] as? String == "bad_request")
                }
            }
            let hits = try services.catalog.index("app").search(SearchRequest(text: try QueryParser.parse("custom"))).hits
            #expect(hits.map(\.logline) == ["custom fields line"])
        }
    }

    @Test func unknownIndexIs404AndTooLargeIs413() async throws {
        try await Self.withServices { services, _ in
            var small = services
            small.maxBodyBytes = 100
            let app = Application(router: buildRouter(small))
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/v1/ingest/nope", method: .post, body: ByteBuffer(string: "{}")) { response in
                    #expect(response.status == .notFound)
                    let r = try Self.json(response.body)
                    #expect(r["error"] as? String == "not_found")
                }
                try await client.execute(
                    uri: "/api/v1/ingest/app", method: .post,
                    body: ByteBuffer(string: String(repeating: "x", count: 1000))
                ) { response in
                    #expect(response.status == .contentTooLarge)
                    let r = try Self.json(response.body)
                    #expect(r["error"] as? String == "too_large")
                }
            }
        }
    }

    @Test func elasticsearchBulkAnswersPerItem() async throws {
        try await Self.withServices { services, _ in
            let app = Application(router: buildRouter(services))
            let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Fixtures/bulk-filebeat.ndjson")
            let body = try Data(contentsOf: fixture)
            try await app.test(.router) { client in
                try await client.execute(uri: "/_bulk", method: .post, body: ByteBuffer(bytes: Array(body))) { response in
                    #expect(response.status == .ok)
                    let r = try Self.json(response.body)
                    #expect(r["errors"] as? Bool == true)
                    let items = r["items"] as? [[String: [String: Any]]] ?? []
                    #expect(items.count == 7)
                    let statuses = items.map { $0.values.first?["status"] as? Int }
                    #expect(statuses == [201, 201, 200, 400, 400, 404, 400])
                    #expect(items[2]["index"]?["_id"] as? String == "1795640752500000001")
                    #expect(items[5]["index"]?["error"].flatMap { ($0 as? [String: Any])?["type"] as? String } == "index_not_found_exception")
                }
                try await client.execute(
                    uri: "/app/_bulk", method: .post,
                    body: ByteBuffer(string: "{\"index\":{}}\n{\"@timestamp\":\"2026-11-25T21:06:00Z\",\"message\":\"default index\"}\n")
                ) { response in
                    let items = try Self.json(response.body)["items"] as? [[String: [String: Any]]] ?? []
                    #expect(items.first?["index"]?["status"] as? Int == 201)
                }
                try await client.execute(uri: "/", method: .get) { response in
                    let r = try Self.json(response.body)
                    #expect((r["version"] as? [String: Any])?["number"] as? String == "7.10.2")
                }
            }
            let index = try services.catalog.index("app")
            #expect(try index.search(SearchRequest(countTotal: true)).totalFound == 4)
            #expect(index.contains(1_795_640_752_500_000_001))
        }
    }

    @Test func healthAndMetrics() async throws {
        try await Self.withServices { services, _ in
            let app = Application(router: buildRouter(services))
            try await app.test(.router) { client in
                try await client.execute(
                    uri: "/api/v1/ingest/app", method: .post,
                    body: ByteBuffer(string: "{\"@timestamp\":\"2026-11-25T21:06:00Z\",\"message\":\"m\"}\nbad\n{\"message\":\"x\"}\nworse\n")
                ) { _ in }
                try await client.execute(uri: "/health", method: .get) { response in
                    #expect(response.status == .ok && String(buffer: response.body).contains("\"status\":\"ok\""))
                }
                try await client.execute(uri: "/metrics", method: .get) { response in
                    let text = String(buffer: response.body)
                    #expect(text.contains("# TYPE alco_index_documents gauge"))
                    #expect(text.contains("alco_index_documents{index=\"app\"} 1"))
                    #expect(text.contains("alco_messages_stored_total{index=\"app\",source=\"http\"} 1"))
                    // Counted by reason, like the broker's sources.
                    #expect(text.contains("alco_messages_rejected_total{index=\"app\",source=\"http\",reason=\"malformed_json\"} 2"))
                    #expect(text.contains("alco_messages_received_total{index=\"app\",source=\"http\"} 4"))
                }
            }
        }
    }

    @Test func searchWithModesFiltersAndCursorPages() async throws {
        try await Self.withServices { services, _ in
            let index = try services.catalog.index("app")
            let base: Int64 = 1_795_640_751_000_000  // 2026-11-25T21:05:51Z
            try index.append(
                (0..<25).map { k in
                    NewDocument(
                        microseconds: base + Int64(k) * 1_000_000, logline: "GET /api/orders/\(k) status=\(k % 5 == 0 ? 500 : 200) req-\(k)",
                        jsText: #"{"levelname":"\#(k % 5 == 0 ? "ERROR" : "INFO")","host":"web0\#(k % 2)"}"#)
                })
            let app = Application(router: buildRouter(services))
            try await app.test(.router) { client in
                func get(_ uri: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                    try await client.execute(uri: uri, method: .get) { response in (response.status, try Self.json(response.body)) }
                }
                var (status, r) = try await get("/api/v1/search?index=app&q=orders&limit=10")
                #expect(status == .ok)
                var hits = r["hits"] as? [[String: Any]] ?? []
                #expect(hits.count == 10 && hits.first?["logline"] as? String == "GET /api/orders/24 status=200 req-24")
                #expect(hits.first?["datetime"] as? String == "2026-11-25T21:06:15.000000+00:00")
                // Follow the cursor to the end: every line once, newest first.
                var seen = hits.compactMap { $0["logline"] as? String }
                while let next = r["next"] as? String {
                    (status, r) = try await get(next)
                    hits = r["hits"] as? [[String: Any]] ?? []
                    seen += hits.compactMap { $0["logline"] as? String }
                }
                #expect(seen.count == 25 && Set(seen).count == 25)
                (_, r) = try await get("/api/v1/search?index=app&mode=substring&q=ders/1&order=asc")
                #expect((r["hits"] as? [[String: Any]])?.count == 11, "orders/1 and orders/10-19")
                (_, r) = try await get("/api/v1/search?index=app&mode=regex&q=status%3D5%5B0-9%5D%2B&field=host:web00")
                let errors = (r["hits"] as? [[String: Any]]) ?? []
                #expect(errors.count == 3 && errors.allSatisfy { ($0["js"] as? [String: Any])?["host"] as? String == "web00" })
                (_, r) = try await get("/api/v1/search?index=app&field=levelname:ERROR&since=2026-11-25T21:06:00Z")
                #expect((r["hits"] as? [[String: Any]])?.count == 3, "lines 10, 15 and 20")
                (status, r) = try await get("/api/v1/search?index=app&q=%22unterminated")
                #expect(status == .badRequest && r["error"] as? String == "bad_query")
                (status, _) = try await get("/api/v1/search?index=nope")
                #expect(status == .notFound)
                (status, _) = try await get("/api/v1/search?index=app&mode=regex&q=%28")
                #expect(status == .badRequest)
            }
        }
    }

    @Test func alcoGrepAPIWithFiltersSnippetsAndCursors() async throws {
        try await Self.withServices { services, _ in
            let base: Int64 = 1_795_640_751_000_000  // 2026-11-25T21:05:51Z
            let levels = ["INFO", "ERROR", "WARNING", "ERROR", "INFO", "ERROR", "DEBUG"]
            try services.catalog.index("app").append(
                (0..<7).map { k in
                    NewDocument(
                        microseconds: base + Int64(k) * 1_000_000, logline: "payment failed for user \(k)",
                        jsText: #"{"levelname":"\#(levels[k])","process":\#(9000 + k),"host":"web01"}"#)
                })
            let app = Application(router: buildRouter(services))
            try await app.test(.router) { client in
                func get(_ uri: String) async throws -> [String: Any] {
                    try await client.execute(uri: uri, method: .get) { response in
                        #expect(response.status == .ok, "\(uri)")
                        return try Self.json(response.body)
                    }
                }
                let start = "start_ts=2026-11-25%2000:00:00"
                // "failed for" as one phrase: "for failed" would find nothing.
                #expect(((try await get("/api/grep/app/?search=failed%20payment&\(start)"))["results"] as? [Any])?.isEmpty == true)
                var page = try await get("/api/grep/app/?search=payment%20failed&\(start)&page_size=3")
                var ids = (page["results"] as? [[String: Any]] ?? []).compactMap { $0["logline"] as? String }
                #expect(ids == ["payment failed for user 0", "payment failed for user 1", "payment failed for user 2"])
                #expect(page["previous"] is NSNull)
                let first = page["results"] as? [[String: Any]] ?? []
                #expect(first.first?["logline_snippet"] as? String == "<b>payment</b> <b>failed</b> for user 0")
                #expect(first.first?["datetime"] as? String == "2026-11-25T21:05:51.000000+00:00")
                var all = ids
                while let next = page["next"] as? String {
                    page = try await get(next)
                    ids = (page["results"] as? [[String: Any]] ?? []).compactMap { $0["logline"] as? String }
                    all += ids
                    if let previous = page["previous"] as? String, ids.first == "payment failed for user 3" {
                        let back = try await get(previous)
                        #expect((back["results"] as? [[String: Any]])?.compactMap { $0["logline"] as? String }.first == "payment failed for user 0")
                    }
                }
                #expect(all.count == 7)
                page = try await get("/api/grep/app/?\(start)&levelname__in=ERROR,WARNING&columns=levelname")
                let filtered = page["results"] as? [[String: Any]] ?? []
                #expect(filtered.count == 4)
                #expect(filtered.allSatisfy { ($0["js"] as? [String: Any])?.keys.sorted() == ["levelname"] })
                // Context columns (long text shown on demand) come along with the shown ones.
                page = try await get("/api/grep/app/?\(start)&levelname=ERROR&columns=levelname&context=process")
                let withContext = page["results"] as? [[String: Any]] ?? []
                #expect(withContext.count == 3 && withContext.allSatisfy { ($0["js"] as? [String: Any])?.keys.sorted() == ["levelname", "process"] })
                page = try await get("/api/grep/app/?\(start)&process=9003")
                #expect((page["results"] as? [[String: Any]])?.count == 1)
                page = try await get("/api/grep/app/?start_ts=2026-11-25T21:05:55Z&end_ts=2026-11-25%2021:05:56")
                #expect((page["results"] as? [[String: Any]])?.count == 2)
                let indices = try await client.execute(uri: "/api/collector/indices/", method: .get) { response in
                    try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]] ?? []
                }
                #expect(indices.first?["name"] as? String == "app")
                #expect(indices.first?["index_names"] as? [String] == ["app_20261125"])
            }
        }
    }

    @Test func contextFieldsValuesAndHistogram() async throws {
        try await Self.withServices { services, _ in
            let base: Int64 = 1_795_640_700_000_000  // 2026-11-25T21:05:00Z
            let ids = try services.catalog.index("app").append(
                (0..<30).map { k in
                    NewDocument(
                        microseconds: base + Int64(k) * 10_000_000, logline: "step \(k) of request r\(k % 3)",
                        jsText: #"{"host":"web0\#(k % 2)","request_id":"r\#(k % 3)","levelname":"\#(k % 10 == 0 ? "ERROR" : "INFO")"}"#)
                })
            let app = Application(router: buildRouter(services))
            try await app.test(.router) { client in
                func get(_ uri: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                    try await client.execute(uri: uri, method: .get) { response in (response.status, try Self.json(response.body)) }
                }
                func lines(_ v: Any?) -> [String] { (v as? [[String: Any]] ?? []).compactMap { $0["logline"] as? String } }
                var (status, r) = try await get("/api/v1/context?index=app&id=\(ids[10])&before=2&after=3")
                #expect(status == .ok)
                #expect((r["anchor"] as? [String: Any])?["logline"] as? String == "step 10 of request r1")
                #expect(lines(r["before"]) == ["step 8 of request r2", "step 9 of request r0"])
                #expect(lines(r["after"]) == ["step 11 of request r2", "step 12 of request r0", "step 13 of request r1"])
                (_, r) = try await get("/api/v1/context?index=app&id=\(ids[10])&before=2&after=2&same=request_id")
                #expect(lines(r["before"]) == ["step 4 of request r1", "step 7 of request r1"])
                #expect(lines(r["after"]) == ["step 13 of request r1", "step 16 of request r1"])
                (status, _) = try await get("/api/v1/context?index=app&id=42")
                #expect(status == .notFound)

                _ = try services.catalog.index("app").search(SearchRequest(limit: 1))  // seals, registering columns
                (_, r) = try await get("/api/v1/fields?index=app")
                let fields = (r["fields"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                #expect(fields == ["host", "levelname", "request_id"])

                (status, r) = try await get("/api/v1/values?index=app&name=levelname")
                #expect(status == .ok, "\(r)")
                let values = (r["values"] as? [[String: Any]] ?? []).map { "\($0["value"] ?? "")=\($0["count"] ?? "")" }
                #expect(values == ["INFO=27", "ERROR=3"])
                (_, r) = try await get("/api/v1/values?index=app&name=host&q=r1")
                #expect((r["values"] as? [[String: Any]])?.count == 2 && r["distinct"] as? Int == 2)

                (_, r) = try await get("/api/v1/histogram?index=app&since=2026-11-25T21:05:00Z&until=2026-11-25T21:10:00Z&buckets=10")
                #expect(r["bucket_seconds"] as? Int == 30)
                let counts = (r["buckets"] as? [[String: Any]] ?? []).compactMap { $0["count"] as? Int }
                #expect(counts == Array(repeating: 3, count: 10), "a line every 10 s")
                (_, r) = try await get("/api/v1/histogram?index=app&q=ERROR&since=2026-11-25T21:05:00Z&until=2026-11-25T21:10:00Z&buckets=5")
                #expect((r["buckets"] as? [[String: Any]] ?? []).compactMap { $0["count"] as? Int }.reduce(0, +) == 3)
            }
        }
    }

    /// gzip through the system's gzip, so the test does not trust our own zlib use.
    func gzip(_ text: String) throws -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-c"]
        let input = Pipe()
        let output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Array(data)
    }
}
