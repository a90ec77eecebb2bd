import AlcoIndex
import AlcoIngest
import ArgumentParser
import Foundation

/// `alco search --server URL`: the same search through a running server's HTTP API, for when
/// `alco serve` owns the data directory. Prints exactly what a local search prints.
struct RemoteSearch {
    let search: Search
    let client: ServerClient

    init(search: Search, server: String, token: String?, caCertificates: String?) throws {
        self.search = search
        client = try ServerClient(server: server, token: token, caCertificates: caCertificates)
    }

    func run() throws -> Bool {
        defer { client.close() }
        let zone = try indexZone()
        var params: [(String, String)] = [("index", search.index)]
        if !search.query.isEmpty { params.append(("q", search.query)) }
        if search.fixed || search.regex {
            params.append(("mode", search.fixed ? "substring" : "regex"))
            if !search.ignoreCase { params.append(("case", "sensitive")) }
        }
        for p in search.pattern { params.append(("pattern", p)) }
        for p in search.notPattern { params.append(("not_pattern", p)) }
        for f in search.field {
            let parts = f.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--field takes KEY=VALUE, not '\(f)'") }
            params.append(("field", parts[0] + ":" + parts[1]))
        }
        if let since = search.since { params.append(("since", since)) }
        if let until = search.until { params.append(("until", until)) }
        let text: TextQuery =
            search.fixed
            ? .substring(search.query, caseSensitive: !search.ignoreCase)
            : search.regex ? .regex(search.query, caseSensitive: !search.ignoreCase) : ((try? QueryParser.parse(search.query)) ?? .all)
        let printer = LinePrinter(json: search.json, color: Terminal.stdoutIsTTY, zone: zone, query: text)

        if search.count {
            let client = try client.get("/api/v1/search", params + [("count", "true")])
            guard let line = try client.nextLine(), let n = (try? JSONParser.parse(line))?["count"]?.numberValue else {
                throw ValidationError("the server did not answer with a count (is it older than this alco?)")
            }
            print(Int(n))
            return n > 0
        }
        var hits: [Hit] = []
        var any = false
        // Following starts like tail -f: the last few matches first.
        let limit = search.limit ?? (search.follow ? 10 : nil)
        let order = limit == nil ? "asc" : "desc"
        var query = params + [("format", "ndjson"), ("order", order)]
        if let limit { query.append(("limit", String(max(1, limit)))) }
        let client = try client.get("/api/v1/search", query)
        while let line = try client.nextLine() {
            guard let hit = Self.hit(line) else { continue }
            any = true
            if limit != nil || search.context > 0 {
                hits.append(hit)
            } else {
                printer.print(hit, isMatch: true)
            }
        }
        if limit != nil { hits.reverse() }
        if search.context > 0 {
            try printWithContext(hits, printer: printer)
        } else {
            for h in hits { printer.print(h, isMatch: true) }
        }
        if search.follow {
            try follow(params.filter { $0.0 != "since" && $0.0 != "until" }, after: hits.last?.id, printer: printer)
        }
        return any
    }

    /// Prints matching lines as the server's live tail sends them, until interrupted.
    private func follow(_ params: [(String, String)], after: UInt64?, printer: LinePrinter) throws {
        fflush(nil)
        let client = try client.get("/api/v1/tail", params + (after.map { [("after", String($0))] } ?? []))
        while let line = try client.nextLine() {
            guard line.hasPrefix("data: "), let hit = Self.hit(String(line.dropFirst(6))) else { continue }
            printer.print(hit, isMatch: true)
            fflush(nil)
        }
        throw ServerClient.Failure(description: "the server ended the tail (stopped?)")
    }

    /// Each hit with the lines around it from /api/v1/context.
    private func printWithContext(_ hits: [Hit], printer: LinePrinter) throws {
        try printer.printWithContext(hits) { h, _ in
            let client = try client.get(
                "/api/v1/context",
                [
                    ("index", search.index), ("id", String(h.id)),
                    ("before", String(search.context)), ("after", String(search.context)),
                ])
            let answer = try? JSONParser.parse(try client.readAll())
            func list(_ key: String) -> [Hit] {
                guard case .array(let items)? = answer?[key] else { return [] }
                return items.compactMap { Self.hit($0) }
            }
            return (list("before"), list("after"))
        }
    }

    private func indexZone() throws -> TimeZone {
        let body = try client.get("/api/v1/indexes/" + search.index, []).readAll()
        let name = (try? JSONParser.parse(body))?["time_zone"]?.stringValue ?? "UTC"
        return TimeZone(identifier: name) ?? TimeZone(identifier: "UTC")!
    }

    static func hit(_ line: String) -> Hit? {
        guard let value = try? JSONParser.parse(line) else { return nil }
        return hit(value)
    }

    static func hit(_ value: JSONValue) -> Hit? {
        guard let id = value["id"]?.stringValue.flatMap(UInt64.init), let logline = value["logline"]?.stringValue else { return nil }
        return Hit(id: id, logline: logline, js: value["js"]?.serialized() ?? "{}", weight: 0, snippet: nil)
    }
}
