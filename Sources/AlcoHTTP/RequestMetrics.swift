import CoreMetrics
import Dispatch
import Hummingbird
import Logging

/// Every HTTP request's latency as `alco_http_request_duration_seconds{route, method, status}`:
/// the time to the response's head (a streamed search or tail goes on after it). The labels
/// are bounded whatever a client sends: the route is the matched pattern
/// (`/api/v1/indexes/{name}`, or `NotFound`), never the path; methods outside the usual few
/// are `other`. At debug level each request is also logged, with its id (Hummingbird's), method,
/// route, status and duration.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    static var metricName: String { "alco_http_request_duration_seconds" }
    static var methods: Set<String> { ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] }
    /// Where the histograms go: the process's backend, or a test's.
    let factory: any MetricsFactory
    let logger: Logger

    init(factory: any MetricsFactory = MetricsSystem.factory, logger: Logger = Logger(label: "alco.http") { _ in SwiftLogNoOpLogHandler() }) {
        self.factory = factory
        self.logger = logger
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        let method = Self.methods.contains(request.method.rawValue) ? request.method.rawValue : "other"
        do {
            let response = try await next(request, context)
            record(since: started, method: method, status: response.status.code, context: context)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            record(since: started, method: method, status: status, context: context)
            throw error
        }
    }

    private func record(since started: UInt64, method: String, status: Int, context: Context) {
        let route = context.endpointPath
        let nanoseconds = Int64(clamping: DispatchTime.now().uptimeNanoseconds &- started)
        logger.debug(
            "request",
            metadata: [
                "request_id": "\(context.logger[metadataKey: "hb.request.id"]?.description ?? "-")", "method": "\(method)", "route": "\(route ?? "NotFound")",
                "status": "\(status)",
                "duration_ms": "\(Double(nanoseconds / 1000) / 1000)",
            ])
        // The factory keeps one histogram per label set; asking it again finds that one.
        CoreMetrics.Timer(
            label: Self.metricName,
            dimensions: [("route", route ?? "NotFound"), ("method", method), ("status", String(min(max(status, 100), 599)))],
            factory: factory
        ).recordNanoseconds(nanoseconds)
    }
}
