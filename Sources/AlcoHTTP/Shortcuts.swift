import AlcoIndex
import Foundation
import Hummingbird

/// ALCO's shortcuts: named saved searches. A shortcut keeps a log-view URL and optionally a
/// default field, so `/grep/shortcut/<name>/<value>/` opens that view filtered on
/// `field=<default field>:<value>` (a link like `/grep/shortcut/request/<request id>/`
/// pasted into a ticket).
public struct Shortcut: Codable, Equatable, Sendable {
    public var name: String
    public var url: String
    public var defaultField: String?
    public var description: String?

    enum CodingKeys: String, CodingKey {
        case name, url, defaultField = "default_field", description
    }
}

/// Shortcuts in one JSON file, read once and replaced atomically on every change (the server
/// owns its data directory, so nothing else writes it).
public final class ShortcutStore: @unchecked Sendable {
    public let path: String
    private let lock = ConditionLock()
    private var cached: [Shortcut]?

    public init(path: String) { self.path = path }

    public var all: [Shortcut] {
        lock.withLock { load() }.sorted { $0.name < $1.name }
    }

    public func get(_ name: String) -> Shortcut? { lock.withLock { load().first { $0.name == name } } }

    public func save(_ shortcut: Shortcut) throws {
        try lock.withLock {
            var list = load().filter { $0.name != shortcut.name }
            list.append(shortcut)
            try store(list)
        }
    }

    @discardableResult
    public func remove(_ name: String) throws -> Bool {
        try lock.withLock {
            let list = load()
            guard list.contains(where: { $0.name == name }) else { return false }
            try store(list.filter { $0.name != name })
            return true
        }
    }

    /// Caller holds the lock.
    private func load() -> [Shortcut] {
        if let cached { return cached }
        let data = FileManager.default.contents(atPath: path)
        let list = data.flatMap { try? JSONDecoder().decode([Shortcut].self, from: $0) } ?? []
        cached = list
        return list
    }

    /// Caller holds the lock.
    private func store(_ list: [Shortcut]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let sorted = list.sorted { $0.name < $1.name }
        try encoder.encode(sorted).write(to: URL(fileURLWithPath: path), options: .atomic)
        cached = sorted
    }
}

enum ShortcutRoutes {
    /// A path on this server: `/` then not another `/` or `\` (browsers read `//host` and
    /// `/\host` as another site), and no control characters or backslashes anywhere.
    static func isLocalPath(_ url: String) -> Bool {
        let bytes = Array(url.utf8)
        guard bytes.first == UInt8(ascii: "/") else { return false }
        if bytes.count > 1 && (bytes[1] == UInt8(ascii: "/") || bytes[1] == UInt8(ascii: "\\")) { return false }
        return !bytes.contains { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\\") }
    }

    static func list(services: HTTPServices) throws -> Response {
        let data = try JSONEncoder().encode(services.shortcuts.all)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `PUT /api/v1/shortcuts/<name>` with `{"url": "/grep/web/?q=…", "default_field": "request_id"}`.
    static func save(_ name: String, _ request: Request, services: HTTPServices) async throws -> Response {
        guard IndexSettings.isValidName(name) else { throw APIError.badRequest("a shortcut name is letters, digits and _") }
        let body = try await IndexRoutes.object(request, services)
        guard case .string(let url)? = body["url"], ShortcutRoutes.isLocalPath(url) else {
            throw APIError.badRequest("url must be a path on this server, like /grep/web/?q=error")
        }
        var shortcut = Shortcut(name: name, url: url)
        if case .string(let f)? = body["default_field"], !f.isEmpty { shortcut.defaultField = f }
        if case .string(let d)? = body["description"] { shortcut.description = d }
        try services.shortcuts.save(shortcut)
        let data = try JSONEncoder().encode(shortcut)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func remove(_ name: String, services: HTTPServices) throws -> Response {
        guard try services.shortcuts.remove(name) else { throw APIError.notFound("no shortcut '\(name)'") }
        return Response.json(.object([("removed", .string(name))]))
    }

    /// `GET /grep/shortcut/<name>/<value>/`: a redirect to the saved view, filtered on the value.
    static func follow(_ name: String, value: String?, services: HTTPServices) throws -> Response {
        guard let shortcut = services.shortcuts.get(name) else { throw APIError.notFound("no shortcut '\(name)'") }
        // Checked again here: a shortcuts.json written by hand, or by an older alco.
        guard isLocalPath(shortcut.url) else { throw APIError.badRequest("shortcut '\(name)' does not lead to a path on this server") }
        var target = shortcut.url
        // Path parameters arrive still percent-encoded.
        if let value = value.map({ $0.removingPercentEncoding ?? $0 }), !value.isEmpty {
            let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? value
            let field = shortcut.defaultField.map { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? $0 }
            let parameter = field.map { "field=\($0):\(encoded)" } ?? "q=\(encoded)"
            target += (target.contains("?") ? "&" : "?") + parameter
        }
        return Response(status: .found, headers: [.location: target])
    }
}
