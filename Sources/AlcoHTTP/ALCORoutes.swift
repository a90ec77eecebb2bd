import AlcoIndex
import AlcoIngest
import Foundation
import Hummingbird

/// ALCO's own API, kept so scripts written for it keep working:
/// `GET /api/grep/<index>/?search=&start_ts=&end_ts=&<field>=v&<field>__in=a,b&columns=&page_size=&cursor=`
/// answers `{next, previous, results: [{id, datetime, logline, logline_snippet, js}]}` in id
/// order with cursor pages, and `GET /api/collector/indices/` lists the indexes.
enum ALCORoutes {
    static let reserved: Set<String> = ["search", "start_ts", "end_ts", "columns", "context", "page_size", "cursor", "format"]

    static func grep(_ request: Request, index name: String, services: HTTPServices) async throws -> Response {
        guard let index = services.reader(name) else { throw APIError.notFound("no index '\(name)'") }
        let q = request.formParameters
        let zone = index.timeZone
        var search = SearchRequest()
        // As ALCO did: the search terms as one phrase on the logline.
        let text = q["search"].map(String.init) ?? ""
        let words = Tokenizer.tokens(text)
        switch words.count {
        case 0: search.text = .all
        case 1: search.text = .term(words[0], fields: .only(["logline"]), match: .exact)
        default: search.text = .phrase(words, fields: .only(["logline"]), proximity: nil)
        }
        var filters: [Filter] = []
        for (key, value) in q where !reserved.contains(String(key)) {
            let k = String(key)
            if k.hasSuffix("__in") {
                let field = String(k.dropLast(4))
                filters.append(.or(value.split(separator: ",").map { .typed(key: field, value: String($0)) }))
            } else {
                filters.append(.typed(key: k, value: String(value)))
            }
        }
        if !filters.isEmpty { search.filter = .and(filters) }
        // ALCO's times: "YYYY-MM-DD HH:MM:SS" in the index's zone, or ISO 8601; the view
        // starts at today's first line when no start is given.
        func time(_ key: String) throws -> Int64? {
            guard let s = q[Substring(key)].map(String.init), !s.isEmpty else { return nil }
            guard let t = Timestamps.parseISO(s, zone: zone, zuluIsLocal: false) else {
                throw APIError.badRequest("cannot read \(key) '\(s)' (use YYYY-MM-DD HH:MM:SS or ISO 8601)")
            }
            return t
        }
        let now = Int64(Date().timeIntervalSince1970 * 1e6)
        let start = try time("start_ts") ?? index.startOfDay(containing: now)
        search.restrictTime(fromMicroseconds: start, toMicroseconds: try time("end_ts"))
        guard let pageSize = Int(q["page_size"].map(String.init) ?? "100"), (1...10_000).contains(pageSize) else {
            throw APIError.badRequest("page_size must be from 1 to 10000")
        }
        search.limit = pageSize
        search.maxMatches = max(pageSize, 1000)
        var snippet = SnippetOptions()
        snippet.limit = 0  // the whole line, as ALCO's limit=1000000
        search.snippet = snippet
        var backwards = false
        if let cursor = q["cursor"].map(String.init) {
            guard let (forward, id) = Cursor.decode(cursor) else { throw APIError.badRequest("invalid cursor") }
            if forward {
                search.ids.after(id)
            } else {
                search.ids.before(id)
                backwards = true
            }
        }
        search.order = backwards ? .idDescending : .idAscending
        let result = try await runSearch(search, in: index)
        var hits = result.hits
        if backwards { hits.reverse() }
        // `columns` picks the js fields shown; `context` adds the long ones shown on demand
        // (ALCO's context columns, such as exc_info).
        let contextColumns = Set((q["context"] ?? "").split(separator: ",").map(String.init))
        let columns = q["columns"].map { Set($0.split(separator: ",").map(String.init)).union(contextColumns) }
        var results: [JSONValue] = []
        for h in hits {
            var js = (try? JSONParser.parse(h.js)) ?? .object([])
            if let columns, case .object(let members) = js { js = .object(members.filter { columns.contains($0.key) }) }
            results.append(
                .object([
                    ("id", .number(text: String(h.id))),
                    ("datetime", .string(Timestamps.iso(microseconds: DocumentID.microseconds(of: h.id), zone: zone))),
                    ("logline", .string(h.logline)), ("logline_snippet", .string(h.snippet ?? h.logline)), ("js", js),
                ]))
        }
        func link(_ forward: Bool, _ id: UInt64) -> JSONValue {
            .string(QueryParameters.link(request, replacing: ["cursor"], with: ("cursor", Cursor.encode(forward: forward, id: id))))
        }
        // More after the last row when the page is full going forward; before the first row
        // whenever the page did not start at the beginning.
        let full = hits.count == pageSize
        let next: JSONValue = hits.last.map { (backwards || full) ? link(true, $0.id) : .null } ?? .null
        let previous: JSONValue = hits.first.map { (!backwards && q["cursor"] != nil) || (backwards && full) ? link(false, $0.id) : .null } ?? .null
        return Response.json(.object([("next", next), ("previous", previous), ("results", .array(results))]))
    }

    static func indices(services: HTTPServices) -> Response {
        var list: [JSONValue] = []
        for index in services.catalog.indexes {
            let s = index.settings
            let binding = (try? QueueBinding(s)) ?? QueueBinding()
            let days = index.stats().days.map(\.day).sorted()
            list.append(
                .object([
                    ("name", .string(s.name)), ("retention", .number(text: String(s.retentionDays))),
                    ("queue_name", .string(binding.queue)), ("routing_keys", .array(binding.routingKeys.map(JSONValue.string))),
                    ("durable", .bool(binding.durable)), ("timezone", .string(s.timeZone)),
                    ("index_names", .array(days.map { .string("\(s.name)_\($0)") })),
                ]))
        }
        return Response.json(.array(list))
    }
}

/// An opaque page cursor: which way, from which id.
enum Cursor {
    static func encode(forward: Bool, id: UInt64) -> String {
        Data("\(forward ? "a" : "b"):\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> (forward: Bool, id: UInt64)? {
        var b = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b.count % 4 != 0 { b += "=" }
        guard let data = Data(base64Encoded: b) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(separator: ":")
        guard parts.count == 2, parts[0] == "a" || parts[0] == "b", let id = UInt64(parts[1]) else { return nil }
        return (parts[0] == "a", id)
    }
}
