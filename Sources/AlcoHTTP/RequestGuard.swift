import Foundation
import Hummingbird

/// Keeps web pages of other sites away from a server the browser can reach:
///
/// - DNS rebinding: a page on `evil.example` whose name a moment later resolves to 127.0.0.1
///   reads a loopback alco as its own origin. Its requests still carry `Host: evil.example`,
///   so a server on loopback answers only requests that name it (`localhost`, a loopback
///   address, or a name the operator allows); 421 otherwise.
/// - Cross-site writes (CSRF): any page can POST a form or a `text/plain` body to a loopback
///   server without asking first. Requests that change something (POST, PUT, PATCH, DELETE)
///   coming from a browser on another site (its `Origin` is not this server, or
///   `Sec-Fetch-Site: cross-site`) are refused with 403. Shippers and scripts send neither
///   header and are not affected.
public struct RequestGuard: Sendable {
    /// Host names (no port) requests may name; nil: any (a server other machines reach by
    /// names the operator knows).
    public var allowedHosts: Set<String>?

    public init(allowedHosts: Set<String>? = nil) {
        self.allowedHosts = allowedHosts.map { Set($0.map { $0.lowercased() }) }
    }

    /// The guard of a server listening on `host`: on loopback only loopback names and `extra`
    /// are allowed; elsewhere any name, unless `extra` lists them.
    public static func forListener(host: String, isLoopback: Bool, extra: [String] = []) -> RequestGuard {
        if !isLoopback && extra.isEmpty { return RequestGuard(allowedHosts: nil) }
        var hosts: Set<String> = isLoopback ? ["localhost", "127.0.0.1", "::1", host.lowercased()] : [host.lowercased()]
        for h in extra { hosts.insert(h.lowercased()) }
        return RequestGuard(allowedHosts: hosts)
    }

    /// The host part of a `Host` header or an origin's authority: `[::1]:8080` → `::1`.
    static func hostName(_ authority: Substring) -> String {
        var a = authority
        if a.hasPrefix("[") {
            if let close = a.firstIndex(of: "]") { return String(a[a.index(after: a.startIndex)..<close]).lowercased() }
            return String(a).lowercased()
        }
        if let colon = a.lastIndex(of: ":"), a.firstIndex(of: ":") == colon { a = a[..<colon] }
        return String(a).lowercased()
    }

    func allows(host name: String) -> Bool {
        guard let allowedHosts else { return true }
        if allowedHosts.contains(name) { return true }
        // Any IPv4 loopback address (127.0.0.0/8) when loopback names are allowed.
        if allowedHosts.contains("127.0.0.1"), RequestGuard.isIPv4Loopback(name) { return true }
        return false
    }

    static func isIPv4Loopback(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { p in !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCII) && p.allSatisfy(\.isNumber) && Int(p)! <= 255 }
    }

    /// Why a request is refused, or nil.
    func refusal(method: HTTPRequest.Method, host: String?, origin: String?, fetchSite: String?) -> (HTTPResponse.Status, String)? {
        if let host, !allows(host: RequestGuard.hostName(Substring(host))) {
            return (.misdirectedRequest, "this server does not answer for the host '\(host)' (allow it with --http-allowed-hosts)")
        }
        let changes = method == .post || method == .put || method == .patch || method == .delete
        guard changes else { return nil }
        if let origin {
            // Same origin: the origin's authority is what the request names as its host.
            guard origin != "null", let schemeEnd = origin.range(of: "://") else {
                return (.forbidden, "requests from other sites may not change anything (Origin: \(origin))")
            }
            let authority = origin[schemeEnd.upperBound...].prefix { $0 != "/" }
            let sameAsHost = host.map { authority.lowercased() == $0.lowercased() } ?? false
            let allowedOrigin = allowedHosts != nil && allows(host: RequestGuard.hostName(authority))
            if !sameAsHost && !allowedOrigin {
                return (.forbidden, "requests from other sites may not change anything (Origin: \(origin))")
            }
            return nil
        }
        if fetchSite?.lowercased() == "cross-site" {
            return (.forbidden, "requests from other sites may not change anything (Sec-Fetch-Site: cross-site)")
        }
        return nil
    }
}

struct RequestGuardMiddleware<Context: RequestContext>: RouterMiddleware {
    let guarding: RequestGuard

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let fetchSite = request.headers.first { $0.name.canonicalName == "sec-fetch-site" }?.value
        if let (status, detail) = guarding.refusal(
            method: request.method, host: request.head.authority,
            origin: request.headers[.origin], fetchSite: fetchSite)
        {
            return Response.json(
                .object([
                    ("error", .string(status == .forbidden ? "forbidden" : "misdirected")),
                    ("detail", .string(detail)),
                ]), status: status)
        }
        return try await next(request, context)
    }
}
