import AlcoIndex
import AlcoIngest
import Foundation
import Hummingbird

/// `GET /api/v1/search?index=&q=&mode=&since=&until=&field=k:v&order=&limit=&after=&before=`:
/// the engine's query form over HTTP. `mode` is `extended` (Sphinx syntax, the default),
/// `substring` (grep -F) or `regex` (grep -E), `case=sensitive` for the last two. Pages are
/// cursors: `next` repeats the query after the last id returned.
/// The query parameters every search-like endpoint shares: `index`, `q` with `mode` and
/// `case`, `field=KEY:VALUE` filters, `since`/`until`.
enum QueryParameters {
    static func index(_ q: Parameters, _ services: HTTPServices) throws -> (LogIndex, String) {
        guard let name = q["index"].map(String.init), !name.isEmpty else { throw APIError.badRequest("index is required") }
        guard let index = services.catalog.indexIfExists(name) else { throw APIError.notFound("no index '\(name)'") }
        return (index, name)
    }

    static func search(_ q: Parameters, index: LogIndex) throws -> SearchRequest {
        let query = q["q"].map(String.init) ?? ""
        let caseSensitive = q["case"] == "sensitive"
        var search = SearchRequest()
        switch q["mode"].map(String.init) ?? "extended" {
        case "extended":
            do {
                search.text = try QueryParser.parse(query)
            } catch let e as AlcoError {
                throw APIError(status: .badRequest, error: "bad_query", detail: e.description)
            }
        case "substring": search.text = query.isEmpty ? .all : .substring(query, caseSensitive: caseSensitive)
        case "regex":
            do {
                _ = try RegexMatcher(query, caseSensitive: caseSensitive)
            } catch {
                throw APIError(status: .badRequest, error: "bad_query", detail: "\(error)")
            }
            search.text = query.isEmpty ? .all : .regex(query, caseSensitive: caseSensitive)
        case let other:
            throw APIError.badRequest("mode must be extended, substring or regex, not '\(other)'")
        }
        var filters: [Filter] = []
        for f in q.getAll("field") {
            let parts = f.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw APIError.badRequest("field takes KEY:VALUE, not '\(f)'") }
            filters.append(.typed(key: parts[0], value: parts[1]))
        }
        if !filters.isEmpty { search.filter = .and(filters) }
        let range = try timeRange(q, index: index)
        search.restrictTime(fromMicroseconds: range.since, toMicroseconds: range.until)
        return search
    }

    static func timeRange(_ q: Parameters, index: LogIndex) throws -> (since: Int64?, until: Int64?) {
        let zone = index.timeZone
        let now = Int64(Date().timeIntervalSince1970 * 1e6)
        func time(_ key: String) throws -> Int64? {
            guard let s = q[Substring(key)].map(String.init) else { return nil }
            guard let t = Timestamps.parseUserTime(s, zone: zone, now: now) else {
                throw APIError.badRequest("cannot read \(key) '\(s)' (use 2026-11-25T10:00, epoch seconds, or 15m, 2h, 3d)")
            }
            return t
        }
        return (try time("since"), try time("until"))
    }

    /// This request's URL with `keys` dropped and `parameter` added: the next or previous page.
    static func link(_ request: Request, replacing keys: Set<String>, with parameter: (String, String)) -> String {
        func percent(_ s: String) -> String {
            s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
        }
        var params = request.uri.queryParameters.filter { !keys.contains(String($0.key)) }
            .map { "\($0.key)=\(percent(String($0.value)))" }
        params.append("\(parameter.0)=\(percent(parameter.1))")
        return request.uri.path + "?" + params.joined(separator: "&")
    }

    /// A hit as the JSON API returns it.
    static func hit(_ h: Hit, zone: TimeZone) -> JSONValue {
        .object([
            ("id", .string(String(h.id))),
            ("datetime", .string(Timestamps.iso(microseconds: DocumentID.microseconds(of: h.id), zone: zone))),
            ("logline", .string(h.logline)), ("js", (try? JSONParser.parse(h.js)) ?? .object([])),
        ])
    }
}

enum SearchRoute {
    static let maxLimit = 10_000

    static func handle(_ request: Request, services: HTTPServices) async throws -> Response {
        let q = request.uri.queryParameters
        let (index, name) = try QueryParameters.index(q, services)
        let zone = index.timeZone
        var search = try QueryParameters.search(q, index: index)
        let ascending = q["order"] == "asc"
        search.order = ascending ? .idAscending : .idDescending
        guard let limit = Int(q["limit"].map(String.init) ?? "100"), (1...maxLimit).contains(limit) else {
            throw APIError.badRequest("limit must be from 1 to \(maxLimit)")
        }
        search.limit = limit
        search.maxMatches = max(limit, 1000)
        if let after = q["after"].flatMap({ UInt64($0) }) {
            search.idRange = max(search.idRange.lowerBound, after &+ 1)...search.idRange.upperBound
        }
        if let before = q["before"].flatMap({ UInt64($0) }), before > 0 {
            search.idRange = search.idRange.lowerBound...min(search.idRange.upperBound, before - 1)
        }
        if search.idRange.lowerBound > search.idRange.upperBound { search.isEmptyRange = true }
        let prepared = search
        let result: SearchResult
        do {
            result = try await offload { try index.search(prepared) }
        } catch let e as AlcoError {
            throw APIError(status: .badRequest, error: "bad_query", detail: e.description)
        }
        let hits = result.hits.map { QueryParameters.hit($0, zone: zone) }
        var body: [(key: String, value: JSONValue)] = [("index", .string(name)), ("hits", .array(hits))]
        if result.hits.count == limit, let last = result.hits.last {
            let cursor = ascending ? ("after", String(last.id)) : ("before", String(last.id))
            body.append(("next", .string(QueryParameters.link(request, replacing: ["after", "before"], with: cursor))))
        }
        return Response.json(.object(body))
    }


}
