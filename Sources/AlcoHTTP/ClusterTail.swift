import AlcoAPI
import AlcoIndex
import Dispatch
import Foundation
import Hummingbird

/// The live tail in `--search-through` mode: the lines already stored come through the front
/// (every node's), then lines as they are published, from a RabbitMQ feed of the index's
/// routing keys, matched by the engine's own search over each arriving batch (the same
/// matcher as everywhere). Event ids are line ids: a client that reconnects with
/// `Last-Event-ID` catches up through the front from that line.
enum ClusterTail {
    static func handle(
        _ request: Request, services: HTTPServices, open: @escaping @Sendable (String) throws -> any PublishedLines
    ) async throws -> Response {
        let q = request.formParameters
        let (reader, name) = try QueryParameters.index(q, services)
        let search = try QueryParameters.search(q, index: reader)
        let backlog = try QueryParameters.number(q, "backlog", default: 0, in: 0...10_000)
        let resume = request.headers.first(where: { $0.name.canonicalName == "last-event-id" })?.value ?? q["after"].map(String.init)
        var after: UInt64?
        if let resume {
            guard let line = resume.split(separator: "-").first.flatMap({ UInt64($0) }) else {
                throw APIError.badRequest("Last-Event-ID / after takes a line id, not '\(resume)'")
            }
            after = line
        }
        // Following starts before the catch-up, so a line published meanwhile is not lost
        // (one the catch-up also found is sent once).
        let feed: any PublishedLines
        do {
            feed = try await EngineThreads.reads.runIfActive { try open(name) }
        } catch let e as ReaderNotFound {
            throw APIError.notFound(e.description)
        } catch {
            throw APIError(status: .badGateway, error: "broker_unavailable", detail: "the live tail cannot follow RabbitMQ: \(error)")
        }
        let start: UInt64
        do {
            if let after { start = after } else { start = try await TailRoute.newest(search, index: reader, skipping: backlog) }
        } catch {
            DispatchQueue.global().async { feed.close() }
            throw error
        }
        let highlighter = QueryParameters.highlighter(q, search: search)
        let stopping = services.stopping
        let extraFields = services.catalog.indexIfExists(name)?.columns.indexedKeys ?? []
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                defer { DispatchQueue.global().async { feed.close() } }
                var encoder = HitEncoder(zone: reader.timeZone, highlighter: highlighter)
                try await writer.write(ByteBuffer(string: "retry: 2000\n: alco tail (cluster)\n\n"))
                var sent = try await TailRoute.catchUp(search, after: start, in: reader, encoder: &encoder, writer: &writer)
                var quietSince = Date()
                while !stopping.isSet, !Task.isCancelled {
                    let arrived: (lines: [Document], missed: Int)
                    do {
                        arrived = try feed.drain()
                    } catch {
                        try await writer.write(ByteBuffer(string: "event: error\ndata: \(jsonString("\(error)"))\n\n"))
                        break
                    }
                    var out: [UInt8] = []
                    if arrived.missed > 0 { out.append(contentsOf: "event: gap\ndata: {\"missed\":\(arrived.missed)}\n\n".utf8) }
                    if !arrived.lines.isEmpty {
                        var position: [UInt64: Int] = [:]
                        for (k, d) in arrived.lines.enumerated() { position[d.id] = k }
                        var r = search
                        r.order = .idAscending
                        r.offset = 0
                        r.limit = arrived.lines.count
                        r.maxMatches = max(r.limit, 1000)
                        let (lines, request) = (arrived.lines, r)
                        let hits = try await offload { try Searcher.search(request, in: lines, extraFields: extraFields).hits }
                            .sorted { (position[$0.id] ?? 0) < (position[$1.id] ?? 0) }
                        for h in hits where !sent.contains(h.id) {
                            TailRoute.event(h, id: String(h.id), encoder: &encoder, to: &out)
                        }
                        sent.removeAll()
                    }
                    if !out.isEmpty {
                        try await writer.write(ByteBuffer(bytes: out))
                        quietSince = Date()
                    }
                    if Date().timeIntervalSince(quietSince) >= TailRoute.keepAliveSeconds {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        quietSince = Date()
                    }
                    try await Task.sleep(nanoseconds: TailRoute.pollInterval)
                }
                try await writer.finish(nil)
            })
    }

    static func jsonString(_ s: String) -> String {
        var out: [UInt8] = []
        JSONValue.writeString(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
