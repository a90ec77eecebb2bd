import Foundation
import Hummingbird

/// Who may use the HTTP API and UI: a bearer token (scripts), a user and password (basic
/// auth, which browsers ask for), either, or no one in particular.
public struct HTTPAuth: Sendable {
    public var bearerToken: String?
    public var user: String?
    public var password: String?

    public init(bearerToken: String? = nil, user: String? = nil, password: String? = nil) {
        self.bearerToken = bearerToken
        self.user = user
        self.password = password
    }

    public var isEnabled: Bool { bearerToken != nil || user != nil }

    /// Whether an `Authorization` header value proves one of the configured identities.
    func admits(_ authorization: String?) -> Bool {
        guard isEnabled else { return true }
        guard let authorization else { return false }
        if let token = bearerToken, authorization.hasPrefix("Bearer ") {
            return Self.sameBytes(String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces), token)
        }
        if let user, authorization.hasPrefix("Basic "),
            let data = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces))
        {
            return Self.sameBytes(String(decoding: data, as: UTF8.self), user + ":" + (password ?? ""))
        }
        return false
    }

    /// Compares without stopping at the first difference, so timing says nothing of the secret.
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }
}

/// Answers 401 to requests without valid credentials, except the health probes (load
/// balancers and orchestrators call them without any).
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let auth: HTTPAuth

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard auth.isEnabled, !HealthProbe.paths.contains(request.uri.path) else { return try await next(request, context) }
        guard auth.admits(request.headers[.authorization]) else {
            var response = Response.json(
                .object([
                    ("error", .string("unauthorized")),
                    ("detail", .string("this server needs credentials (a bearer token or a user and password)")),
                ]),
                status: .unauthorized)
            response.headers[.wwwAuthenticate] = auth.user != nil ? "Basic realm=\"alco\", charset=\"UTF-8\"" : "Bearer realm=\"alco\""
            return response
        }
        return try await next(request, context)
    }
}

/// The health routes: `/health` is readiness (200 once serving), `/health/live` liveness (200
/// whenever the process runs). Neither needs credentials.
enum HealthProbe {
    static let readiness = "/health"
    static let liveness = "/health/live"
    static let paths: Set<String> = [readiness, liveness]
    static func live() -> Response { Response.json(.object([("status", .string("live"))])) }
}
