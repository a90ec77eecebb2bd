import AlcoAPI
import AlcoIndex
import AlcoIngest
import Foundation
import Hummingbird

/// The reading endpoints around search: context around a line, the fields of an index and
/// their values, and a histogram of hits over time.
enum ExploreRoutes {
    /// `GET /api/v1/context?index=&id=&before=&after=&same=host,request_id&hl_q=`: the lines
    /// just before and after `id`, unfiltered, or only those sharing the anchor's values of
    /// `same`; `hl_q` marks what a search matched in them.
    static func context(_ request: Request, services: HTTPServices) async throws -> Response {
        let q = request.formParameters
        let (index, _) = try QueryParameters.index(q, services)
        guard let id = q["id"].flatMap({ UInt64($0) }) else { throw APIError.badRequest("id is required") }
        let before = try QueryParameters.number(q, "before", default: 20, in: 0...1000)
        let after = try QueryParameters.number(q, "after", default: 20, in: 0...1000)
        let same = q["same"].map { $0.split(separator: ",").map(String.init) } ?? []
        let result = try await offload { () throws -> (Hit?, [Hit], [Hit]) in
            guard let anchorDoc = try index.documents(ids: [id]).first else { return (nil, [], []) }
            // Context is an id range on either side: across a cluster it holds every node's lines.
            var filters: [Filter] = []
            if !same.isEmpty, case .object(let members) = (try? JSONParser.parse(anchorDoc.js)) ?? .null {
                for key in same {
                    switch members.first(where: { $0.key == key })?.value {
                    case .string(let s)?: filters.append(.typed(key: key, value: s))
                    case .number(let t)?: filters.append(.typed(key: key, value: t))
                    default: filters.append(.not(.exists(key: key)))
                    }
                }
            }
            var older = SearchRequest(filter: filters.isEmpty ? .always(true) : .and(filters), order: .idDescending, limit: before)
            older.ids.before(id)
            var newer = SearchRequest(filter: older.filter, order: .idAscending, limit: after)
            newer.ids.after(id)
            let anchor = Hit(id: anchorDoc.id, logline: anchorDoc.logline, js: anchorDoc.js, weight: 0, snippet: nil)
            return (anchor, try index.search(older).hits.reversed(), try index.search(newer).hits)
        }
        guard let anchor = result.0 else { throw APIError.notFound("no line with id \(id) in '\(index.name)'") }
        var encoder = HitEncoder(zone: index.timeZone, highlighter: QueryParameters.highlighter(q, search: SearchRequest()))
        var out: [UInt8] = Array(#"{"anchor":"#.utf8)
        encoder.write(anchor, to: &out)
        for (key, hits) in [("before", result.1), ("after", result.2)] {
            out.append(contentsOf: ",\"\(key)\":[".utf8)
            encoder.write(hits, to: &out)
            out.append(UInt8(ascii: "]"))
        }
        out.append(contentsOf: "}\n".utf8)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: out)))
    }

    /// `GET /api/v1/fields?index=`: every js key seen, with its flags.
    static func fields(_ request: Request, services: HTTPServices) async throws -> Response {
        let (index, _) = try QueryParameters.index(request.formParameters, services)
        let all = try await offload { try index.fields() }
        let columns: [JSONValue] = all.map { c in
            .object(
                [("name", .string(c.name))] + ColumnFlag.allCases.map { ($0.rawValue, .bool($0.value(of: c))) } + [
                    ("first_seen", .number(text: String(c.firstSeen))), ("last_seen", .number(text: String(c.lastSeen))),
                ])
        }
        return Response.json(.object([("index", .string(index.name)), ("fields", .array(columns))]))
    }

    /// `GET /api/v1/values?index=&name=&q=&field=…&since=&until=&limit=`: the values of field
    /// `name` with how many matching lines carry each, most frequent first (the filter
    /// sidebar); `field=KEY:VALUE` filters narrow the lines as in search.
    static func values(_ request: Request, services: HTTPServices) async throws -> Response {
        let q = request.formParameters
        let (index, _) = try QueryParameters.index(q, services)
        guard let field = q["name"].map(String.init), !field.isEmpty else { throw APIError.badRequest("name (the field) is required") }
        let limit = try QueryParameters.number(q, "limit", default: 20, in: 1...1000)
        var search = try QueryParameters.search(q, index: index)
        search.groupBy = field
        search.limit = 0
        search.loadDocuments = false
        let result = try await runSearch(search, in: index)
        let values: [JSONValue] = result.groups.prefix(limit).map { g in
            .object([("value", g.value.map(JSONValue.string) ?? .null), ("count", .number(text: String(g.count)))])
        }
        return Response.json(
            .object([
                ("field", .string(field)), ("values", .array(values)), ("distinct", .number(text: String(result.groups.count))),
            ]))
    }

    /// `GET /api/v1/patterns?index=&q=&field=…&pattern=…&since=&until=&new_since=&limit=`: the
    /// message patterns of the matching lines with how many each has, most frequent first;
    /// `new_since` keeps patterns first seen at or after it. Patterns are this node's.
    static func patterns(_ request: Request, services: HTTPServices) async throws -> Response {
        let q = request.formParameters
        let (index, _) = try QueryParameters.localIndex(q, services)
        let limit = try QueryParameters.number(q, "limit", default: 50, in: 1...10_000)
        let search = try QueryParameters.search(q, index: LocalIndexReader(index))
        let newSince = try QueryParameters.api { try SearchParameters.newSince(q, zone: index.timeZone, now: Int64(Date().timeIntervalSince1970 * 1e6)) }
        let counts = try await offload { try index.patternCounts(search, firstSeenSince: newSince) }
        let zone = index.timeZone
        let rows: [JSONValue] = counts.prefix(limit).map { c in
            .object([
                ("id", .string(String(c.pattern.id))), ("template", .string(c.pattern.template)),
                ("count", .number(text: String(c.count))),
                ("first_seen", .string(Timestamps.iso(microseconds: c.pattern.firstSeen, zone: zone))),
            ])
        }
        return Response.json(
            .object([("index", .string(index.name)), ("patterns", .array(rows)), ("distinct", .number(text: String(counts.count)))]))
    }

    /// Bucket widths a person reads easily, in seconds.
    static let bucketWidths: [Int64] = [
        1, 5, 10, 30, 60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400,
        30 * 86400, 365 * 86400,
    ]

    /// `GET /api/v1/histogram?index=&q=&…&since=&until=&buckets=60`: matching lines per time
    /// bucket, the width chosen from the range so there are about `buckets` of them.
    static func histogram(_ request: Request, services: HTTPServices) async throws -> Response {
        let q = request.formParameters
        let (index, _) = try QueryParameters.index(q, services)
        let search = try QueryParameters.search(q, index: index)
        let wanted = try QueryParameters.number(q, "buckets", default: 60, in: 1...1000)
        let now = Int64(Date().timeIntervalSince1970 * 1e6)
        let range = try QueryParameters.timeRange(q, index: index)
        // No range at all: the index's whole span (logs replayed from last year included).
        var span: (Int64, Int64)?
        if range.since == nil && range.until == nil, let ids = try await offload({ try index.idSpan() }) {
            span = (DocumentID.microseconds(of: ids.first), DocumentID.microseconds(of: ids.last) + 1)
        }
        let until = range.until ?? span?.1 ?? now
        let since = range.since ?? span?.0 ?? (until - 3600 * 1_000_000)
        guard since < until else { throw APIError.badRequest("since must be before until") }
        let seconds = (until - since) / 1_000_000
        let width = bucketWidths.first { seconds / $0 <= Int64(wanted) } ?? bucketWidths.last!
        let widthMicros = width * 1_000_000
        guard seconds / width <= 2 * 1000 else { throw APIError.badRequest("the time range is too long for a histogram") }
        let first = since / widthMicros * widthMicros
        let zone = index.timeZone
        var starts: [Int64] = []
        var windows: [TimeWindow] = []
        var t = first
        while t < until {
            // Never empty: t < until and t + width > since.
            if let w = TimeWindow(first: max(t, since), last: min(t + widthMicros, until) - 1) {
                starts.append(t)
                windows.append(w)
            }
            t += widthMicros
        }
        let counts = try await offload { [windows] in try index.counts(search, in: windows) }
        let buckets = Array(zip(starts, counts))
        return Response.json(
            .object([
                ("bucket_seconds", .number(text: String(width))),
                (
                    "buckets",
                    .array(
                        buckets.map { b in
                            .object([("start", .string(Timestamps.iso(microseconds: b.0, zone: zone))), ("count", .number(text: String(b.1)))])
                        })
                ),
            ]))
    }
}
