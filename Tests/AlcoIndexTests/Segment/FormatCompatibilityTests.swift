import Foundation
import Testing

@testable import AlcoIndex

/// Data written by an earlier alco keeps working. Both fixtures hold the lines
/// `Fixtures/format1/make.py` prints: `format1/data` written by the engine of segment format 1
/// (varint postings, offsets in every dictionary entry, 32-bit lengths, no doc store
/// dictionary), `format4/data` by format 4 (page checksums, the doc store in LZ4 pairs
/// against one dictionary, the term prefix sample), `format5/data` by format 5 (the doc store
/// in zstd columns, js values an entry and a posting list each, ids as distances), `format6/data`
/// by format 6 (js values in front-coded blocks, dictionary entries with varint heads, 16-bit
/// lengths).
@Suite struct FormatCompatibilityTests {
    static func fixture(_ name: String) -> String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path + "/Fixtures/\(name)/data"
    }

    /// The message of line `i`, as make.py writes it.
    static func message(_ i: Int) -> String {
        let request = String(UInt64(i) * 2_654_435_761 % (1 << 32), radix: 16)
        return "worker-\(i % 7) handled request req-\(String(repeating: "0", count: 8 - request.count) + request) in \(i % 997) ms"
    }

    @Test(arguments: ["format1", "format4", "format5", "format6"])
    func earlierSegmentsAreSearchedAsBefore(_ fixture: String) throws {
        let copy = NSTemporaryDirectory() + "alco-\(fixture)-" + UUID().uuidString
        try FileManager.default.copyItem(atPath: Self.fixture(fixture), toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        var options = EngineOptions()
        options.backgroundMaintenance = false
        let catalog = try Catalog(directory: copy, options: options)
        defer { try? catalog.close() }
        let index = try catalog.index("logs")
        #expect(index.stats().diskSegments > 0)

        // Every line, in time order, exactly as sent.
        let all = try index.search(SearchRequest(order: .idAscending, limit: 3000, maxMatches: 3000, countTotal: true))
        #expect(all.totalFound == 3000)
        #expect(all.hits.map(\.logline) == (0..<3000).map(Self.message))
        let levels = ["INFO", "WARNING", "ERROR"]
        // From format 6 a line's pattern reads back in its js (the index mined it on ingest).
        let js = all.hits.map { $0.js.replacing(/,"pattern":"\d+"/, with: "") }
        #expect(js == (0..<3000).map { #"{"host":"web\#($0 % 4)","levelname":"\#(levels[$0 % 3])","n":\#($0)}"# })

        // Words, a unique request id, a phrase, a prefix, filters and a group-by.
        func count(_ text: String, _ filter: Filter = .always(true)) throws -> Int {
            try index.search(SearchRequest(text: QueryParser.parse(text), filter: filter, limit: 0, countTotal: true)).totalFound
        }
        #expect(try count("handled") == 3000)
        #expect(try count("worker-3") == (0..<3000).filter { $0 % 7 == 3 }.count)
        let unique = String(Self.message(1234).split(separator: " ")[3])
        let hit = try index.search(SearchRequest(text: QueryParser.parse(unique), limit: 5))
        #expect(hit.hits.map(\.logline) == [Self.message(1234)])
        #expect(try count(#""request req-9e3779b1""#) == 1)
        #expect(try count("req-9e37*") == 1)
        #expect(try count("", .oneOf(key: "host", values: [.string("web1")])) == 750)
        #expect(try count("worker-0", .compare(key: "n", .less, 700)) == 100)
        let perLevel = try index.search(SearchRequest(limit: 10, groupBy: "levelname"))
        #expect(Set(perLevel.groups.map(\.count)) == [1000])

        // New writes beside the old segments, then a merge into the current format.
        _ = try index.append([NewDocument(microseconds: 1_795_000_000_000_000, logline: "after the upgrade", jsText: "{}")])
        try index.optimize()
        #expect(try count("upgrade") == 1)
        #expect(try count("handled") == 3000)
        #expect(try index.search(SearchRequest(text: QueryParser.parse(unique), limit: 5)).hits.map(\.logline) == [Self.message(1234)])
        // Every line reads back from the merged segment (the current doc store layout).
        let merged = try index.search(SearchRequest(order: .idAscending, limit: 3001, maxMatches: 3001, countTotal: true))
        #expect(merged.totalFound == 3001)
        #expect(merged.hits.map(\.logline).filter { $0 != "after the upgrade" } == (0..<3000).map(Self.message))
    }
}
