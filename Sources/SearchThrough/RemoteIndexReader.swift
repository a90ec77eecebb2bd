import AlcoAPI
import AlcoIndex
import Foundation

/// An index read through a Sphinx front (`alco serve --search-through sphinxql://HOST:PORT`):
/// the front's distributed index of the same name fans each statement out to every alco
/// node, so pages, counts, groups and context hold every node's lines. This node's own index
/// of that name, when it has one, gives the time zone and the fields' flags.
public struct RemoteIndexReader: IndexReader {
    public let name: String
    let pool: SphinxQLPool
    let local: LogIndex?

    public init(name: String, pool: SphinxQLPool, local: LogIndex?) {
        self.name = name
        self.pool = pool
        self.local = local
    }

    public var timeZone: TimeZone { local?.timeZone ?? TimeZone(identifier: "UTC")! }

    public func search(_ request: SearchRequest) throws -> SearchResult {
        try request.checkLimits()
        try request.text.validate()
        let started = DispatchTime.now().uptimeNanoseconds
        var result = SearchResult()
        if request.isEmptyRange { return result }
        if request.groupBy != nil {
            var r = request
            // Every group (up to the window), as the engine's grouping gives them.
            r.offset = 0
            r.limit = max(1, min(r.maxMatches, 1000))
            let rows = try run(SearchStatement.select(r, index: name)).rows
            // Ties in the engine's order (the front leaves them as its agents merged).
            result.groups = rows.map { GroupCount(value: $0.first ?? nil, count: Int($0[1] ?? "") ?? 0, representativeID: 0) }
                .sorted { $0.count != $1.count ? $0.count > $1.count : ($0.value ?? "") < ($1.value ?? "") }
            result.totalFound = result.groups.count
            result.totalIsExact = true
        } else if request.limit > 0 {
            let columns =
                !request.loadDocuments && request.snippet == nil
                ? "id" : request.order == .relevance ? "id, logline, js, WEIGHT() AS __weight" : "id, logline, js"
            let rows = try run(SearchStatement.select(request, index: name, columns: columns)).rows
            let highlighter = request.snippet.map { Highlighter($0.query ?? request.text) }
            result.hits = rows.compactMap { row in
                guard let id = row.first.flatMap({ $0 }).flatMap(UInt64.init) else { return nil }
                var hit = Hit(id: id, logline: row.count > 1 ? row[1] ?? "" : "", js: row.count > 2 ? row[2] ?? "{}" : "{}")
                if request.order == .relevance, row.count > 3 { hit.weight = Int(row[3] ?? "") ?? 0 }
                if let options = request.snippet, let highlighter {
                    hit.snippet = Snippet.make(hit.logline, highlighter: highlighter, options: options)
                }
                return hit
            }
        }
        if request.countTotal && request.groupBy == nil {
            result.totalFound = try count(request)
            result.totalIsExact = true
        } else if request.groupBy == nil {
            result.totalFound = result.hits.count
        }
        result.elapsedNanoseconds = DispatchTime.now().uptimeNanoseconds - started
        return result
    }

    public func documents(ids: [UInt64]) throws -> [Document] {
        guard !ids.isEmpty else { return [] }
        var r = SearchRequest(filter: .idIn(ids), order: .idAscending, limit: ids.count, maxMatches: max(ids.count, 1000))
        r.countTotal = false
        return try search(r).hits.map { Document(id: $0.id, logline: $0.logline, js: $0.js) }
    }

    public func counts(_ request: SearchRequest, in windows: [TimeWindow]) throws -> [Int] {
        try windows.map { w in
            var r = request
            r.restrictTime(fromMicroseconds: w.first, toMicroseconds: w.last)
            return r.isEmptyRange ? 0 : try count(r)
        }
    }

    public func idSpan() throws -> (first: UInt64, last: UInt64)? {
        let rows = try run("SELECT id FROM \(SearchStatement.table(name)) ORDER BY id ASC LIMIT 1").rows
        let last = try run("SELECT id FROM \(SearchStatement.table(name)) ORDER BY id DESC LIMIT 1").rows
        guard let lo = rows.first?.first.flatMap({ $0 }).flatMap(UInt64.init),
            let hi = last.first?.first.flatMap({ $0 }).flatMap(UInt64.init)
        else { return nil }
        return (lo, hi)
    }

    /// This node's fields with their flags, and any key the newest lines of the cluster
    /// carry that this node has not seen (flags by default for those).
    public func fields() throws -> [Column] {
        var known = local?.columns.all ?? []
        var names = Set(known.map(\.name))
        let rows = try run("SELECT id, js FROM \(SearchStatement.table(name)) ORDER BY id DESC LIMIT 1000 OPTION max_matches=1000").rows
        var extra: [String: (first: Int64, last: Int64)] = [:]
        for row in rows {
            guard row.count == 2, let id = row[0].flatMap(UInt64.init), let text = row[1],
                case .object(let members) = (try? JSONParser.parse(text)) ?? .null
            else { continue }
            let t = DocumentID.microseconds(of: id)
            // As the engine registers keys: those with a value (not null, not an empty list).
            for (key, value) in members where !names.contains(key) {
                switch value {
                case .null: continue
                case .array(let items) where items.isEmpty: continue
                case .object(let members) where members.isEmpty: continue
                default: break
                }
                let seen = extra[key]
                extra[key] = (min(seen?.first ?? t, t), max(seen?.last ?? t, t))
            }
        }
        for (key, seen) in extra.sorted(by: { $0.key < $1.key }) {
            known.append(Column(name: key, filtered: true, excluded: false, indexed: false, firstSeen: seen.first, lastSeen: seen.last))
            names.insert(key)
        }
        return known
    }

    func count(_ r: SearchRequest) throws -> Int {
        let rows = try run(SearchStatement.count(r, index: name)).rows
        return rows.first?.first.flatMap { $0 }.flatMap { Int($0) } ?? 0
    }

    /// One statement; the front's refusals are query errors (a 400), its absence a 502, and
    /// an index it does not have a 404.
    func run(_ sql: String) throws -> FrontRows {
        do {
            return try pool.run(sql)
        } catch let e as FrontError {
            switch e.kind {
            case .connection: throw ReaderUnavailable("the Sphinx front at \(pool.host):\(pool.port) did not answer: \(e.message)")
            case .server:
                if e.message.contains("unknown local index") || e.message.contains("no such index") {
                    throw ReaderNotFound("no index '\(name)' on the Sphinx front at \(pool.host):\(pool.port)")
                }
                throw AlcoError.query(message: "the Sphinx front: \(e.message)", position: 0)
            }
        }
    }
}
