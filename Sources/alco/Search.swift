import AlcoAPI
import AlcoIndex
import AlcoIngest
import ArgumentParser
import Foundation

struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search an index like grep: time, host, level and line of each match.",
        discussion: """
            QUERY is Sphinx extended syntax (words, "phrases", a | b, -word, @field, word*) unless \
            -F (fixed substring) or -E (POSIX extended regex) is given. Exit status: 0 when lines \
            were found, 1 when none, 2 on error.
            """)

    @OptionGroup var data: DataOptions
    @Option(name: .long, help: "Index to search.") var index: String
    @Option(name: .long, help: "Only lines at or after this time (ISO 8601, epoch seconds, or an age like 15m, 2h, 3d).")
    var since: String?
    @Option(name: .long, help: "Only lines before or at this time.") var until: String?
    @Option(name: .customShort("C"), help: "Lines of context around each match.") var context: Int = 0
    @Option(name: .long, help: "Show only the newest N matches.") var limit: Int?
    @Flag(name: .long, help: "Print only the number of matching lines.") var count = false
    @Flag(name: .long, help: "One JSON object per line: id, datetime, logline, js.") var json = false
    @Flag(name: .customShort("F"), help: "QUERY is a fixed substring of the line.") var fixed = false
    @Flag(name: .customShort("E"), help: "QUERY is a POSIX extended regular expression.") var regex = false
    @Flag(name: .customShort("i"), help: "Ignore case with -F and -E.") var ignoreCase = false
    @Option(name: .long, help: "Filter on a js field, KEY=VALUE (repeatable).") var field: [String] = []
    @Option(name: .long, help: "Only lines of this message pattern (an id from `alco patterns`; repeatable: any of them).")
    var pattern: [String] = []
    @Option(name: .customLong("not-pattern"), help: "Hide lines of this message pattern (repeatable).") var notPattern: [String] = []
    @Flag(name: [.customShort("f"), .long], help: "Like tail -f: print the last matches (10 unless --limit), then new ones as they arrive (needs --server).")
    var follow = false
    @Option(
        name: .long,
        help: "Search a running `alco serve` over HTTP instead of opening the data directory: http(s)://[USER:PASSWORD@]HOST[:PORT][/PREFIX] ($ALCO_SERVER).")
    var server: String?
    @Option(name: .long, help: "With an https --server: trust the certificate authorities in this PEM file instead of the system's ($ALCO_CACERT).")
    var cacert: String?
    @Option(name: .long, help: "Bearer token for --server ($ALCO_HTTP_TOKEN).") var token: String?
    @Argument(help: "The query (empty: every line).") var query: String = ""

    func run() throws {
        guard !(fixed && regex) else {
            warn("alco: -F and -E cannot be combined")
            throw ExitCode(2)
        }
        let env = ProcessInfo.processInfo.environment
        if follow && (server ?? env["ALCO_SERVER"]) == nil {
            warn("alco: --follow reads new lines from a running server: add --server http://HOST:PORT (or set ALCO_SERVER)")
            throw ExitCode(2)
        }
        if let server = server ?? env["ALCO_SERVER"] {
            let found: Bool
            do {
                found = try RemoteSearch(
                    search: self, server: server, token: token ?? env["ALCO_HTTP_TOKEN"], caCertificates: cacert ?? env["ALCO_CACERT"]
                ).run()
            } catch let e as ServerClient.Failure {
                warn("alco: \(e)")
                throw ExitCode(2)
            }
            if !found { throw ExitCode(1) }
            return
        }
        let found: Bool = try data.withCatalog { catalog in
            let idx = try catalog.index(index)
            var request = SearchRequest()
            if fixed {
                request.text = query.isEmpty ? .all : .substring(query, caseSensitive: !ignoreCase)
            } else if regex {
                _ = try RegexMatcher(query, caseSensitive: !ignoreCase)
                request.text = query.isEmpty ? .all : .regex(query, caseSensitive: !ignoreCase)
            } else {
                request.text = try QueryParser.parse(query)
            }
            let zone = idx.timeZone
            try CLIFilters.apply(fields: field, since: since, until: until, zone: zone, to: &request)
            request = try LocalIndexReader(idx).narrowing(request, patterns: pattern, notPatterns: notPattern)
            let printer = LinePrinter(json: json, color: Terminal.stdoutIsTTY, zone: zone, query: request.text)

            if count {
                request.countTotal = true
                request.limit = 0
                request.loadDocuments = false
                let r = try idx.search(request)
                print(r.totalFound)
                return r.totalFound > 0
            }
            if let limit {
                request.order = .idDescending
                request.limit = max(0, limit)
                request.maxMatches = max(1000, limit)
                let r = try idx.search(request)
                let hits = Array(r.hits.reversed())
                try emit(hits, index: idx, printer: printer)
                return !hits.isEmpty
            }
            // Every match, oldest first, page by page.
            request.order = .idAscending
            request.limit = 10_000
            request.maxMatches = 10_000
            var any = false
            while !request.isEmptyRange {
                let r = try idx.search(request)
                if r.hits.isEmpty { break }
                any = true
                try emit(r.hits, index: idx, printer: printer)
                guard let last = r.hits.last?.id else { break }
                request.ids.after(last)
                if r.hits.count < request.limit { break }
            }
            return any
        }
        if !found { throw ExitCode(1) }
    }

    /// Prints hits, or with -C, each hit with the lines around it (grep's `--` between groups).
    private func emit(_ hits: [Hit], index: LogIndex, printer: LinePrinter) throws {
        guard context > 0 else {
            for h in hits { printer.print(h, isMatch: true) }
            return
        }
        try printer.printWithContext(hits) { h, lastPrinted in
            var before = SearchRequest(order: .idDescending, limit: context)
            if let lastPrinted { before.ids.after(lastPrinted) }
            before.ids.before(h.id)
            let prev = try index.search(before).hits.reversed()
            var after = SearchRequest(order: .idAscending, limit: context)
            after.ids.after(h.id)
            return (Array(prev), try index.search(after).hits)
        }
    }
}

/// Formats hits as grep-like lines (time, host, level, line) or JSON objects.
struct LinePrinter {
    let json: Bool
    let color: Bool
    let zone: TimeZone
    let highlighter: Highlighter
    var options = SnippetOptions()

    init(json: Bool, color: Bool, zone: TimeZone, query: TextQuery) {
        self.json = json
        self.color = color
        self.zone = zone
        highlighter = Highlighter(query)
        options.beforeMatch = "\u{1B}[1;31m"
        options.afterMatch = "\u{1B}[0m"
        options.limit = 0
    }

    /// grep -C: each hit with the lines around it, groups apart by `--`. `around` gives the
    /// lines before a hit (newer than the last line printed) and after it.
    func printWithContext(_ hits: [Hit], around: (Hit, _ lastPrinted: UInt64?) throws -> (before: [Hit], after: [Hit])) throws {
        let matches = Set(hits.map(\.id))
        var lastPrinted: UInt64?
        for h in hits {
            if let lp = lastPrinted, h.id <= lp { continue }
            let (before, after) = try around(h, lastPrinted)
            if lastPrinted != nil { Swift.print("--") }
            for p in before where lastPrinted.map({ p.id > $0 }) ?? true { print(p, isMatch: matches.contains(p.id)) }
            print(h, isMatch: true)
            lastPrinted = h.id
            for n in after {
                print(n, isMatch: matches.contains(n.id))
                lastPrinted = n.id
            }
        }
    }

    /// A level as lnav shows it on a terminal: errors red, warnings yellow, debug dim.
    static func colored(level: String) -> String {
        switch LogLevel.normalized(Substring(level)) {
        case "CRITICAL": return "\u{1B}[1;31m" + level + "\u{1B}[0m"
        case "ERROR": return "\u{1B}[31m" + level + "\u{1B}[0m"
        case "WARNING": return "\u{1B}[33m" + level + "\u{1B}[0m"
        case "DEBUG": return "\u{1B}[2m" + level + "\u{1B}[0m"
        default: return level
        }
    }

    func print(_ hit: Hit, isMatch: Bool) {
        let us = DocumentID.microseconds(of: hit.id)
        if json {
            var out: [UInt8] = []
            out.append(contentsOf: "{\"id\":\(hit.id),\"datetime\":".utf8)
            JSONValue.writeString(Timestamps.iso(microseconds: us, zone: zone), to: &out)
            out.append(contentsOf: ",\"logline\":".utf8)
            JSONValue.writeString(hit.logline, to: &out)
            out.append(contentsOf: ",\"js\":".utf8)
            out.append(contentsOf: (hit.js.isEmpty ? "{}" : hit.js).utf8)
            out.append(contentsOf: "}".utf8)
            Swift.print(String(decoding: out, as: UTF8.self))
            return
        }
        var parts = [Timestamps.format(microseconds: us, zone: zone)]
        if let js = try? JSONParser.parse(hit.js) {
            if let host = js["host"] { parts.append(host.displayText) }
            if let level = js["levelname"] ?? js["level"] { parts.append(color ? LinePrinter.colored(level: level.displayText) : level.displayText) }
        }
        let line = color && isMatch ? Snippet.make(hit.logline, highlighter: highlighter, options: options) : hit.logline
        parts.append(line)
        Swift.print(parts.joined(separator: " "))
    }
}

/// The filters `search` and `patterns` take alike: `--field KEY=VALUE` and a time range.
enum CLIFilters {
    /// A time as a person types it (`2026-11-25T10:00`, epoch seconds, `15m`), or an error
    /// naming the option.
    static func time(_ text: String?, option: String, zone: TimeZone) throws -> Int64? {
        guard let text else { return nil }
        guard let t = Timestamps.parseUserTime(text, zone: zone, now: Int64(Date().timeIntervalSince1970 * 1e6)) else {
            throw AlcoError.invalidSetting("cannot read --\(option) '\(text)' (use 2026-11-25T10:00, epoch seconds, or 15m, 2h, 3d)")
        }
        return t
    }

    static func apply(fields: [String], since: String?, until: String?, zone: TimeZone, to request: inout SearchRequest) throws {
        let filters: [Filter] = try fields.map { f in
            let parts = f.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw AlcoError.invalidSetting("--field takes KEY=VALUE, not '\(f)'") }
            return .typed(key: parts[0], value: parts[1])
        }
        if !filters.isEmpty { request.filter = .and(filters) }
        request.restrictTime(
            fromMicroseconds: try time(since, option: "since", zone: zone), toMicroseconds: try time(until, option: "until", zone: zone))
    }
}
