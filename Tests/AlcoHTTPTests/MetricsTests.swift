import CoreMetrics
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing

@testable import AlcoHTTP

/// `/metrics`' recorded part and the request histograms: labels bounded whatever the client
/// sends, families sorted, each with one help line.
@Suite struct MetricsTests {
    @Test func requestLabelsAreRoutePatternsNeverPaths() async throws {
        let registry = PrometheusCollectorRegistry()
        let router = Router()
        router.add(middleware: RequestMetricsMiddleware(factory: PrometheusMetricsFactory(registry: registry)))
        router.get("/api/v1/indexes/{name}") { _, _ in "ok" }
        router.get("/fails") { _, _ -> String in throw HTTPError(.badRequest) }
        let app = Application(router: router)
        try await app.test(.router) { client in
            for name in ["a", "b", "c"] {
                try await client.execute(uri: "/api/v1/indexes/\(name)", method: .get) { #expect($0.status == .ok) }
            }
            try await client.execute(uri: "/made/up/path/12345", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/fails", method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/api/v1/indexes/a", method: .init("BREW")!) { _ in }
        }
        let text = registry.emitToString()
        #expect(text.contains(#"alco_http_request_duration_seconds_count{route="/api/v1/indexes/{name}",method="GET",status="200"} 3"#))
        #expect(text.contains(#"route="NotFound",method="GET",status="404"} 1"#))
        #expect(text.contains(#"route="/fails",method="GET",status="400"} 1"#))
        #expect(text.contains(#"method="other""#) && !text.contains("BREW"))
        #expect(!text.contains("/made/up"))
    }

    @Test func recordedFamiliesAreSortedWithOneHelpLineEach() {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        CoreMetrics.Timer(label: "alco_wal_fsync_duration_seconds", dimensions: [("index", "a")], factory: factory).recordNanoseconds(1000)
        Meter(label: "alco_connections_open", dimensions: [("protocol", "sphinxql")], factory: factory).increment()
        Counter(label: "alco_unlisted_total", dimensions: [("k", "v")], factory: factory).increment()
        let text = Metrics.recorded(registry)
        let types = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        #expect(types == ["alco_connections_open", "alco_unlisted_total", "alco_wal_fsync_duration_seconds"])
        let helps = text.split(separator: "\n").filter { $0.hasPrefix("# HELP ") }
        #expect(helps.count == 3)
        #expect(text.contains("# HELP alco_wal_fsync_duration_seconds \(MetricsHelp.text["alco_wal_fsync_duration_seconds"]!)\n"))
        #expect(text.contains("alco_wal_fsync_duration_seconds_count{index=\"a\"} 1"))
        // Each family's samples follow its own lines.
        let lines = text.split(separator: "\n")
        let type = lines.firstIndex(of: "# TYPE alco_connections_open gauge")!
        #expect(lines[type + 1] == "alco_connections_open{protocol=\"sphinxql\"} 1.0")
    }
}
