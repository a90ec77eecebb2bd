import AlcoAPI
import AlcoIndex
import AlcoIngest
import Foundation
import Hummingbird

/// Hummingbird's query parameters as `SearchParameters` reads them.
extension Parameters: QueryParameterSource {
    public func first(_ key: String) -> String? { self[Substring(key)].map(String.init) }
    public func all(_ key: String) -> [String] { getAll(key).map { String($0) } }
}

/// The query parameters every search-like endpoint shares (`SearchParameters`, which knows
/// nothing of HTTP), with their errors as API errors, and the index a request names.
enum QueryParameters {
    static func index(_ q: Parameters, _ services: HTTPServices) throws -> (any IndexReader, String) {
        guard let name = q["index"].map(String.init), !name.isEmpty else { throw APIError.badRequest("index is required") }
        guard let index = services.reader(name) else { throw APIError.notFound("no index '\(name)'") }
        return (index, name)
    }

    /// This node's own index (the live tail follows its arrivals).
    static func localIndex(_ q: Parameters, _ services: HTTPServices) throws -> (LogIndex, String) {
        guard let name = q["index"].map(String.init), !name.isEmpty else { throw APIError.badRequest("index is required") }
        guard let index = services.catalog.indexIfExists(name) else { throw APIError.notFound("no index '\(name)'") }
        return (index, name)
    }

    static var now: Int64 { Int64(Date().timeIntervalSince1970 * 1e6) }

    static func api<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as ParameterError {
            throw APIError(status: .badRequest, error: e.error, detail: e.detail)
        }
    }

    static func search(_ q: Parameters, index: some IndexReader) throws -> SearchRequest {
        try api {
            let r = try SearchParameters.search(q, zone: index.timeZone, now: now)
            return try index.narrowing(r, patterns: q.all("pattern").map { String($0) }, notPatterns: q.all("not_pattern").map { String($0) })
        }
    }

    static func highlighter(_ q: Parameters, search: SearchRequest) -> Highlighter? {
        SearchParameters.highlighter(q, search: search)
    }

    static func number(_ q: Parameters, _ key: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        try api { try SearchParameters.number(q, key, default: value, in: range) }
    }

    static func timeRange(_ q: Parameters, index: some IndexReader) throws -> (since: Int64?, until: Int64?) {
        try api { try SearchParameters.timeRange(q, zone: index.timeZone, now: now) }
    }

    /// This request's URL with `keys` dropped and `parameter` added: the next or previous page.
    static func link(_ request: Request, replacing keys: Set<String>, with parameter: (String, String)) -> String {
        func percent(_ s: String) -> String {
            s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
        }
        var params = request.formParameters.filter { !keys.contains(String($0.key)) }
            .map { "\($0.key)=\(percent(String($0.value)))" }
        params.append("\(parameter.0)=\(percent(parameter.1))")
        return request.uri.path + "?" + params.joined(separator: "&")
    }
}

/// `GET /api/v1/search?index=&q=&mode=&since=&until=&field=k:v&order=&limit=&after=&before=`:
/// the engine's query form over HTTP. `mode` is `extended` (Sphinx syntax, the default),
/// `substring` (grep -F) or `regex` (grep -E), `case=sensitive` for the last two. Pages are
/// cursors: `next` repeats the query after the last id returned.
///
/// `GET /api/v1/search`: JSON pages with a `next` cursor (newest first by default), or with
/// `format=ndjson` (or `Accept: application/x-ndjson`) every matching line as one JSON object
/// per line, oldest first by default, streamed page by page from the engine with no
/// row limit, so a whole day can be exported.
enum SearchRoute {
    static let maxLimit = 10_000
    static let streamPage = 8_192

    static func handle(_ request: Request, services: HTTPServices) async throws -> Response {
        let q = request.formParameters
        let (index, name) = try QueryParameters.index(q, services)
        var search = try QueryParameters.search(q, index: index)
        let streaming = q["format"] == "ndjson" || (q["format"] == nil && (request.headers[.accept]?.contains("application/x-ndjson") ?? false))
        if let format = q["format"], format != "json", format != "ndjson" {
            throw APIError.badRequest("format must be json or ndjson, not '\(format)'")
        }
        let ascending: Bool
        switch q["order"].map(String.init) {
        case "asc"?: ascending = true
        case "desc"?: ascending = false
        case nil: ascending = streaming
        case let other?: throw APIError.badRequest("order must be asc or desc, not '\(other)'")
        }
        search.order = ascending ? .idAscending : .idDescending
        if let after = try cursorID(q, "after") { search.ids.after(after) }
        if let before = try cursorID(q, "before") { search.ids.before(before) }
        // `count=true`: only how many lines match.
        if q["count"] == "true" {
            var counting = search
            counting.limit = 0
            counting.countTotal = true
            counting.loadDocuments = false
            let total = try await runSearch(counting, in: index).totalFound
            return Response.json(.object([("index", .string(name)), ("count", .number(text: String(total)))]))
        }
        let highlighter = QueryParameters.highlighter(q, search: search)
        if streaming {
            var limit = Int.max
            if let text = q["limit"] {
                guard let n = Int(text), n >= 1 else { throw APIError.badRequest("limit must be a positive number") }
                limit = n
            }
            // Run the first page before answering, so a bad query is a 400, not a cut stream.
            let export = Export(search: search, limit: limit, index: index, highlighter: highlighter)
            // A small first page answers quickly; full pages follow.
            let first = try await export.page(after: nil, sent: 0, size: 1024)
            return Response(
                status: .ok, headers: [.contentType: "application/x-ndjson"],
                body: ResponseBody { writer in try await export.stream(first: first, to: &writer) })
        }
        guard let limit = Int(q["limit"].map(String.init) ?? "100"), (1...maxLimit).contains(limit) else {
            throw APIError.badRequest("limit must be from 1 to \(maxLimit) (use format=ndjson for more)")
        }
        let hits = try await page(search, limit: limit, index: index)
        var encoder = HitEncoder(zone: index.timeZone, highlighter: highlighter)
        var out: [UInt8] = Array(#"{"index":"#.utf8)
        JSONValue.writeString(name, to: &out)
        out.append(contentsOf: #","hits":["#.utf8)
        encoder.write(hits, to: &out)
        out.append(UInt8(ascii: "]"))
        if hits.count == limit, let last = hits.last {
            let cursor = ascending ? ("after", String(last.id)) : ("before", String(last.id))
            out.append(contentsOf: #","next":"#.utf8)
            JSONValue.writeString(QueryParameters.link(request, replacing: ["after", "before"], with: cursor), to: &out)
        }
        out.append(contentsOf: "}\n".utf8)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: out)))
    }

    static func cursorID(_ q: Parameters, _ key: String) throws -> UInt64? {
        try QueryParameters.api { try SearchParameters.cursorID(q, key) }
    }

    static func page(_ search: SearchRequest, limit: Int, index: any IndexReader) async throws -> [Hit] {
        var request = search
        request.limit = limit
        request.maxMatches = max(limit, 1000)
        return try await runSearch(request, in: index).hits
    }
}

/// An NDJSON export: pages searched and encoded off the event loop, the next page prepared
/// while the current one is written, so the engine and the socket work at the same time.
struct Export: Sendable {
    struct Page: Sendable {
        var bytes: [UInt8]
        var count: Int
        var lastID: UInt64?
        var requested: Int
    }

    let search: SearchRequest
    let limit: Int
    let index: any IndexReader
    let highlighter: Highlighter?

    /// The page after line `after` (nil: the first), encoded; a bad query throws a 400.
    func page(after: UInt64?, sent: Int, size: Int = SearchRoute.streamPage) async throws -> Page {
        var request = search
        if let after {
            if request.order == .idAscending { request.ids.after(after) } else { request.ids.before(after) }
        }
        let requested = min(limit - sent, size)
        request.limit = requested
        request.maxMatches = max(requested, 1000)
        let (zone, highlighter) = (index.timeZone, highlighter)
        return try await runSearch(request, in: index) { result in
            var encoder = HitEncoder(zone: zone, highlighter: highlighter)
            var out: [UInt8] = []
            out.reserveCapacity(result.hits.count * 320)
            for h in result.hits {
                encoder.write(h, to: &out)
                out.append(0x0A)
            }
            return Page(bytes: out, count: result.hits.count, lastID: result.hits.last?.id, requested: requested)
        }
    }

    /// Whether there may be lines after `page`, and after which id.
    func cursor(after page: Page, sent: Int) -> UInt64? {
        guard page.count == page.requested, sent < limit, let last = page.lastID else { return nil }
        if search.order == .idAscending { return last < search.idRange.upperBound ? last : nil }
        return last > search.idRange.lowerBound ? last : nil
    }

    /// Writes pages until the matches or the limit run out; a client that goes away ends it
    /// at the next write.
    func stream(first: Page, to writer: inout any ResponseBodyWriter) async throws {
        var current = first
        var sent = first.count
        while true {
            let upcoming = cursor(after: current, sent: sent).map { after in
                Task { [sent] in try await page(after: after, sent: sent) }
            }
            if !current.bytes.isEmpty { try await writer.write(ByteBuffer(bytes: current.bytes)) }
            guard let upcoming else { break }
            current = try await upcoming.value
            sent += current.count
        }
        try await writer.finish(nil)
    }
}

extension Request {
    /// The query's parameters decoded as browsers encode forms and `URLSearchParams` do: `+`
    /// is a space and keys are percent-decoded too. Hummingbird's `queryParameters` decodes
    /// only the values' percent escapes, so the web UI's search for `request 0` read
    /// `request+0`, and its time `2026-12-03 02:44` did not parse.
    var formParameters: Parameters {
        guard let query = uri.query else { return Parameters() }
        return Parameters(QueryString(query).pairs.map { (key: Substring($0.key), value: Substring($0.value)) })
    }
}
