import AlcoAPI
import AlcoIndex
import AlcoIngest
import ArgumentParser
import Foundation

/// `alco patterns`: the message templates of an index's lines, with counts.
struct Patterns: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the message patterns of matching lines, most frequent first.",
        discussion: """
            Every line gets the pattern of its message when it is stored (`PacketResponder <*> for \
            block <*> terminating`); variables are masked and patterns merge as more lines show \
            what varies. Filter searches with `alco search --pattern ID` or `--not-pattern ID`.
            """)

    @OptionGroup var data: DataOptions
    @Option(name: .long, help: "Index to read.") var index: String
    @Option(name: .long, help: "Only lines at or after this time (ISO 8601, epoch seconds, or an age like 15m, 2h, 3d).")
    var since: String?
    @Option(name: .long, help: "Only lines before or at this time.") var until: String?
    @Option(name: .customLong("new-since"), help: "Only patterns first seen at or after this time.") var newSince: String?
    @Option(name: .long, help: "Show at most N patterns.") var limit: Int = 50
    @Option(name: .long, help: "Filter on a js field, KEY=VALUE (repeatable).") var field: [String] = []
    @Flag(name: .long, help: "One JSON object per pattern: id, template, count, first_seen.") var json = false
    @Argument(help: "The query (Sphinx extended syntax; empty: every line).") var query: String = ""

    func run() throws {
        try data.withCatalog { catalog in
            let idx = try catalog.index(index)
            let zone = idx.timeZone
            var request = SearchRequest()
            request.text = try QueryParser.parse(query)
            try CLIFilters.apply(fields: field, since: since, until: until, zone: zone, to: &request)
            let counts = try idx.patternCounts(request, firstSeenSince: try CLIFilters.time(newSince, option: "new-since", zone: zone))
            for c in counts.prefix(max(0, limit)) {
                if json {
                    var out: [UInt8] = []
                    out.append(contentsOf: "{\"id\":\"\(c.pattern.id)\",\"template\":".utf8)
                    JSONValue.writeString(c.pattern.template, to: &out)
                    out.append(contentsOf: ",\"count\":\(c.count),\"first_seen\":".utf8)
                    JSONValue.writeString(Timestamps.iso(microseconds: c.pattern.firstSeen, zone: zone), to: &out)
                    out.append(UInt8(ascii: "}"))
                    print(String(decoding: out, as: UTF8.self))
                } else {
                    print(String(repeating: " ", count: max(0, 8 - String(c.count).count)) + "\(c.count)  \(c.pattern.id)\t\(c.pattern.template)")
                }
            }
            if counts.count > limit && !json { warn("alco: \(counts.count - limit) more patterns (--limit)") }
        }
    }
}
