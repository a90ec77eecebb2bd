import Hummingbird

/// The web UI: one page (the index list at `/`, the log view at `/grep/<index>/`, told apart
/// by the script) and its assets, all compiled into the binary.
enum WebRoutes {
    /// No inline script or style and nothing from elsewhere: a log line that slipped into
    /// markup still could not run.
    static let policy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    static func page() -> Response {
        asset("index.html", extra: [.contentSecurityPolicy: policy, .init("X-Content-Type-Options")!: "nosniff"])
    }

    static func asset(_ name: String, extra: HTTPFields = [:]) -> Response {
        guard let file = WebAssets.files[name] else {
            return Response.json(.object([("error", .string("not_found")), ("detail", .string("no asset '\(name)'"))]), status: .notFound)
        }
        var headers: HTTPFields = [.contentType: file.contentType, .cacheControl: "no-cache"]
        headers.append(contentsOf: extra)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: file.text)))
    }

    /// Browsers ask for HTML; Elasticsearch shippers probing the root ask for JSON.
    static func wantsHTML(_ request: Request) -> Bool {
        request.headers[.accept]?.contains("text/html") ?? false
    }
}
