import AlcoAPI
import AlcoIndex
import Foundation
import Hummingbird

/// `GET /api/v1/tail?index=&q=&mode=&field=…`: matching lines as Server-Sent Events in the
/// order they arrive (the engine's arrival log), so a line whose timestamp is a little older
/// than what was already shown still appears. Each event's id is `LINE-EPOCH-SEQUENCE`: a
/// client reconnecting with `Last-Event-ID` resumes exactly where it was while this process
/// runs, and after a restart falls back to the lines with a greater id. `after=ID` starts
/// after a line; by default the tail starts at the newest line (`backlog=N` sends the last N
/// first). If a client falls so far behind that the arrival log dropped lines it had not
/// seen, an `event: gap` says how many.
enum TailRoute {
    static let pollInterval: UInt64 = 200_000_000
    static let keepAliveSeconds = 15.0
    static let batch = 4_096
    /// Tells this process's arrival sequences from another's.
    static let epoch = String(UInt32.random(in: 1...UInt32.max), radix: 36)

    enum Start {
        case arrival(UInt64)
        /// Catch up by id after `line`, then follow arrivals from `sequence`, taken before
        /// the request was answered: a line that arrives once the client has the response's
        /// head is always sent.
        case after(line: UInt64, sequence: UInt64)
    }

    static func handle(_ request: Request, services: HTTPServices) async throws -> Response {
        if let open = services.publishedLines { return try await ClusterTail.handle(request, services: services, open: open) }
        let q = request.formParameters
        let (index, _) = try QueryParameters.localIndex(q, services)
        let search = try QueryParameters.search(q, index: LocalIndexReader(index))
        let backlog = try QueryParameters.number(q, "backlog", default: 0, in: 0...10_000)
        let resume = request.headers.first(where: { $0.name.canonicalName == "last-event-id" })?.value ?? q["after"].map(String.init)
        let start: Start
        if let resume {
            start = try parse(resume, index: index)
        } else {
            let sequence = index.arrivalSequence
            start = .after(line: try await newest(search, index: LocalIndexReader(index), skipping: backlog), sequence: sequence)
        }
        let highlighter = QueryParameters.highlighter(q, search: search)
        let stopping = services.stopping
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                var encoder = HitEncoder(zone: index.timeZone, highlighter: highlighter)
                try await writer.write(ByteBuffer(string: "retry: 2000\n: alco tail\n\n"))
                var sequence: UInt64
                var alreadySent = Set<UInt64>()
                switch start {
                case .arrival(let s):
                    sequence = s
                case .after(let line, let arrivedFrom):
                    // Catch up by id, then follow arrivals from before the request was
                    // answered, skipping what the catch-up already sent.
                    sequence = arrivedFrom
                    alreadySent = try await catchUp(search, after: line, in: LocalIndexReader(index), encoder: &encoder, writer: &writer)
                }
                var quietSince = Date()
                while !stopping.isSet, !Task.isCancelled {
                    let arrived = index.arrivals(since: sequence, limit: batch)
                    var out: [UInt8] = []
                    if arrived.missed > 0 {
                        out.append(contentsOf: "event: gap\ndata: {\"missed\":\(arrived.missed)}\n\n".utf8)
                    }
                    if !arrived.ids.isEmpty {
                        let first = arrived.next - UInt64(arrived.ids.count)
                        var position: [UInt64: UInt64] = [:]
                        for (i, id) in arrived.ids.enumerated() { position[id] = first + UInt64(i) + 1 }
                        var r = search
                        r.filter = .and([search.filter, .idIn(arrived.ids)])
                        r.order = .idAscending
                        r.limit = arrived.ids.count
                        r.maxMatches = max(r.limit, 1000)
                        // In arrival order, so event ids (and a resume) only move forward.
                        let hits = try await runSearch(r, in: LocalIndexReader(index)).hits
                            .sorted { (position[$0.id] ?? 0) < (position[$1.id] ?? 0) }
                        for h in hits where !alreadySent.contains(h.id) {
                            event(h, id: "\(h.id)-\(epoch)-\(position[h.id] ?? arrived.next)", encoder: &encoder, to: &out)
                        }
                        alreadySent.removeAll()
                        sequence = arrived.next
                    }
                    if !out.isEmpty {
                        try await writer.write(ByteBuffer(bytes: out))
                        quietSince = Date()
                    }
                    if arrived.ids.count == batch { continue }
                    if Date().timeIntervalSince(quietSince) >= keepAliveSeconds {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        quietSince = Date()
                    }
                    try await Task.sleep(nanoseconds: pollInterval)
                }
                try await writer.finish(nil)
            })
    }

    /// Sends every matching line after `line`, oldest first, page by page; returns their ids
    /// (what the following then must not send again).
    static func catchUp(
        _ search: SearchRequest, after line: UInt64, in reader: any IndexReader, encoder: inout HitEncoder,
        writer: inout any ResponseBodyWriter
    ) async throws -> Set<UInt64> {
        var sent = Set<UInt64>()
        var cursor = line
        while true {
            var r = search
            r.ids.after(cursor)
            if r.isEmptyRange { break }
            r.order = .idAscending
            r.limit = batch
            r.maxMatches = batch
            let hits = try await runSearch(r, in: reader).hits
            guard let last = hits.last else { break }
            var out: [UInt8] = []
            for h in hits {
                event(h, id: String(h.id), encoder: &encoder, to: &out)
                sent.insert(h.id)
            }
            try await writer.write(ByteBuffer(bytes: out))
            cursor = last.id
            if hits.count < batch { break }
        }
        return sent
    }

    static func event(_ h: Hit, id: String, encoder: inout HitEncoder, to out: inout [UInt8]) {
        out.append(contentsOf: "id: \(id)\ndata: ".utf8)
        encoder.write(h, to: &out)
        out.append(contentsOf: "\n\n".utf8)
    }

    /// `LINE` or `LINE-EPOCH-SEQUENCE` (what this route sends as event ids).
    static func parse(_ text: String, index: LogIndex) throws -> Start {
        let parts = text.split(separator: "-").map(String.init)
        guard let line = parts.first.flatMap({ UInt64($0) }), parts.count == 1 || parts.count == 3 else {
            throw APIError.badRequest("Last-Event-ID / after takes a line id, not '\(text)'")
        }
        if parts.count == 3, parts[1] == epoch, let s = UInt64(parts[2]), s <= index.arrivalSequence {
            return .arrival(s)
        }
        return .after(line: line, sequence: index.arrivalSequence)
    }

    /// The id to start after: the newest matching line, or the one `skipping` lines before it.
    static func newest(_ search: SearchRequest, index: any IndexReader, skipping: Int) async throws -> UInt64 {
        var r = search
        r.order = .idDescending
        r.limit = skipping + 1
        r.maxMatches = max(r.limit, 1000)
        r.loadDocuments = false
        let hits = try await runSearch(r, in: index).hits
        guard let oldest = hits.last else { return 0 }
        return hits.count > skipping ? oldest.id : (oldest.id == 0 ? 0 : oldest.id - 1)
    }
}
