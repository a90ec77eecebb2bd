import Foundation
import Testing

@testable import AlcoIndex

/// A bare word's count over whole segments comes from the docs-in-any-field figure the segment
/// stored; it must agree with the lines, and reading the lines must still work.
struct StoredCountTests {
    /// 3,000 lines per segment; "gamma" in every other line, as the host of every fifth (some
    /// both): the line's 1,500 are above the figure's minimum, so the segment stores 1,800.
    func line(_ k: Int, _ i: Int) -> NewDocument {
        doc(
            i % 2 == 0 ? "gamma request \(i) of \(k)" : "other request \(i) of \(k)", at: day1 + Int64(k * 10_000 + i),
            [("host", .string(i % 5 == 0 ? "gamma" : "web\(i % 7)"))])
    }

    @Test func aWordsCountOverWholeSegmentsReadsNoPageAndAgreesWithTheLines() throws {
        let dir = TemporaryDirectory()
        let options = testOptions()
        let catalog = try Catalog(directory: dir.path, options: options)
        let index = try catalog.createIndex(IndexSettings(name: "logs", retentionDays: 100_000))
        var gammaIDs: [UInt64] = []
        for k in 0..<3 {
            let batch = (0..<3000).map { line(k, $0) }
            let ids = try index.append(batch)
            for (i, id) in ids.enumerated() where i % 2 == 0 || i % 5 == 0 { gammaIDs.append(id) }
            try index.flush()
        }
        try catalog.close()

        let reopened = try Catalog(directory: dir.path, options: options)
        let logs = try reopened.index("logs")
        let segments = try logs.snapshot()
        #expect(segments.count == 3)
        for s in segments { #expect(s.reader.docFreqInAnyField(Array("gamma".utf8)) == 1800) }
        let before = segments.map(\.reader.bytesVerifiedOnUse)
        let whole = try logs.search(SearchRequest(text: try QueryParser.parse("gamma"), limit: 0, countTotal: true))
        #expect(whole.totalFound == gammaIDs.count)
        #expect(segments.map(\.reader.bytesVerifiedOnUse) == before, "the count looked nothing up")

        // An id range that cuts segments counts from the lists, and agrees.
        let sorted = gammaIDs.sorted()
        var cut = SearchRequest(text: try QueryParser.parse("gamma"), limit: 10, countTotal: true)
        cut.ids = IDBounds(sorted[500], sorted[3000])
        let inRange = try logs.search(cut)
        #expect(inRange.totalFound == 2501)
        #expect(inRange.hits.map(\.id) == Array(sorted[2991...3000].reversed()))
        // The lines themselves, newest first.
        let newest = try logs.search(SearchRequest(text: try QueryParser.parse("gamma"), limit: 3, countTotal: true))
        #expect(newest.totalFound == gammaIDs.count)
        #expect(newest.hits.map(\.id) == Array(sorted.suffix(3).reversed()))
        try reopened.close()
    }

    /// Whole days answer a bare word's count and a GROUP BY of every line once for all their
    /// segments; a day with a deletion, or cut by an id range, goes segment by segment, and
    /// every answer agrees with the lines.
    @Test func wholeDaysCountAndGroupOnceAndAgreeWithTheLines() throws {
        let dir = TemporaryDirectory()
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.createIndex(IndexSettings(name: "logs", retentionDays: 100_000))
        // Segments 0 and 1 in one day, 2 and 3 in the next.
        var lines: [(id: UInt64, gamma: Bool, host: String)] = []
        for k in 0..<4 {
            let batch = (0..<3000).map { i -> NewDocument in
                var d = line(k, i)
                if k >= 2 { d.microseconds = d.microseconds.map { $0 + 86_400_000_000 } }
                return d
            }
            let ids = try index.append(batch)
            for (i, id) in ids.enumerated() {
                lines.append((id, i % 2 == 0 || i % 5 == 0, i % 5 == 0 ? "gamma" : "web\(i % 7)"))
            }
            try index.flush()
        }
        let segments = try index.snapshot()
        #expect(segments.count == 4)
        #expect(Set(segments.compactMap { $0.day.map(ObjectIdentifier.init) }).count == 2)
        func count(_ ids: IDBounds? = nil) throws -> Int {
            var r = SearchRequest(text: try QueryParser.parse("gamma"), limit: 0, countTotal: true)
            if let ids { r.ids = ids }
            return try index.search(r).totalFound
        }
        func hosts() throws -> [String: Int] {
            let r = try index.search(SearchRequest(limit: 100, groupBy: "host"))
            return Dictionary(uniqueKeysWithValues: r.groups.map { ($0.value ?? "", $0.count) })
        }
        func expectedHosts() -> [String: Int] { Dictionary(lines.map { ($0.host, 1) }, uniquingKeysWith: +) }
        // A page with its total, from either edge, of a bare word and of every line: the days
        // count it whole, the segments give only the page.
        func expectPages(_ note: Comment) throws {
            for (text, wanted) in [("gamma", lines.filter(\.gamma)), ("", lines)] {
                let ids = wanted.map(\.id).sorted()
                for order in [SortOrder.idDescending, .idAscending] {
                    let r = try index.search(
                        SearchRequest(text: try QueryParser.parse(text), order: order, limit: 50, countTotal: true, loadDocuments: false))
                    #expect(r.totalFound == ids.count, note)
                    #expect(r.hits.map(\.id) == Array(order == .idDescending ? ids.reversed().prefix(50) : ids.prefix(50)), note)
                }
            }
        }
        try expectPages("four segments over two days")
        #expect(try count() == lines.filter(\.gamma).count)
        #expect(try count() == lines.filter(\.gamma).count, "the days' counts kept")
        #expect(try hosts() == expectedHosts())
        let sorted = lines.map(\.id).sorted()
        #expect(try count(IDBounds(sorted[100], sorted[8_999])) == lines.filter { $0.gamma && $0.id >= sorted[100] && $0.id <= sorted[8_999] }.count)

        // A deletion in the first day: that day goes segment by segment, the other stays whole.
        let gone = lines.first { $0.gamma && $0.host == "gamma" }!
        #expect(try index.delete(ids: [gone.id]) == 1)
        lines.removeAll { $0.id == gone.id }
        #expect(try count() == lines.filter(\.gamma).count)
        #expect(try hosts() == expectedHosts())
        try expectPages("a deletion in the first day")
        try catalog.close()
    }

    /// A segment that stored no count for the word (it is in one field there) no longer sends
    /// its day segment by segment: the day counts it by its plan once and keeps the total.
    @Test func aDayCountsASegmentWithoutAStoredCountOnceAndKeepsTheTotal() throws {
        let dir = TemporaryDirectory()
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.createIndex(IndexSettings(name: "logs", retentionDays: 100_000))
        var expected = 0
        // Segment 0: "gamma" in two fields (stored); segment 1: in the logline only (not stored).
        _ = try index.append((0..<3000).map { line(0, $0) })
        expected += (0..<3000).filter { $0 % 2 == 0 || $0 % 5 == 0 }.count
        try index.flush()
        _ = try index.append(
            (0..<3000).map { i in
                doc(i % 3 == 0 ? "gamma once \(i)" : "other \(i)", at: day1 + Int64(20_000 + i), [("host", .string("web\(i % 7)"))])
            })
        expected += (0..<3000).filter { $0 % 3 == 0 }.count
        try index.flush()
        let segments = try index.snapshot()
        #expect(segments.count == 2)
        let word = WordKey(Array("gamma".utf8))
        #expect(segments[0].reader.docFreqInAnyField(word) != nil)
        #expect(segments[1].reader.docFreqInAnyField(word) == nil)
        let day = try #require(segments[0].day)
        #expect(try day.storedCount(word) == nil, "not known before a search counts it")
        for _ in 0..<2 {
            let r = try index.search(SearchRequest(text: try QueryParser.parse("gamma"), limit: 0, countTotal: true))
            #expect(r.totalFound == expected)
        }
        #expect(try day.storedCount(word) == expected, "the day kept the total")
        let page = try index.search(SearchRequest(text: try QueryParser.parse("gamma"), limit: 5, countTotal: true))
        #expect(page.totalFound == expected)
        #expect(page.hits.count == 5)
        try catalog.close()
    }
}
