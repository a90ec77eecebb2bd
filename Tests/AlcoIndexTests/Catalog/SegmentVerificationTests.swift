import Foundation
import Testing

@testable import AlcoIndex

/// The background check: a segment a disk damaged after it was opened is found, taken out of
/// service and quarantined by name; the others keep serving; the next open is clean.
@Suite struct SegmentVerificationTests {
    @Test func aSegmentDamagedAfterOpenIsFoundAndQuarantined() throws {
        let dir = TemporaryDirectory()
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.createIndex(IndexSettings(name: "logs", retentionDays: 100_000))
        _ = try index.append((0..<200).map { doc("alpha line \($0)", at: day1 + Int64($0)) })
        try index.flush()
        _ = try index.append((0..<100).map { doc("beta line \($0)", at: day1 + 1000 + Int64($0)) })
        try index.flush()
        let segmentsDir = dir.path + "/indexes/logs/segments"
        let files = FileSystem.list(segmentsDir).filter { $0.hasSuffix(".seg") }.sorted()
        #expect(files.count == 2)
        // Nothing damaged yet: the pass reads every byte and finds nothing.
        var paced = 0
        let clean = try index.verifySegments { paced += $0 }
        #expect(clean.damaged.isEmpty && clean.bytes == paced && clean.bytes > 0)

        // One byte of the first segment changes on disk under the open index.
        let victim = segmentsDir + "/" + files[0]
        let handle = try #require(FileHandle(forUpdatingAtPath: victim))
        try handle.seek(toOffset: 64)
        let old = try #require(try handle.read(upToCount: 1))
        try handle.seek(toOffset: 64)
        try handle.write(contentsOf: Data([old[0] ^ 0x5A]))
        try handle.close()

        let found = try index.verifySegments { _ in }
        #expect(found.damaged == [String(files[0].dropLast(4))])
        #expect(index.problems.contains { $0.contains("segment \(files[0].dropLast(4)) of index logs is damaged") })
        #expect(FileSystem.exists(dir.path + "/indexes/logs/quarantine/" + files[0]))
        #expect(!FileSystem.exists(victim))
        // Its lines are no longer served; the other segment's are.
        #expect(try index.search(SearchRequest(text: try QueryParser.parse("alpha"), countTotal: true)).totalFound == 0)
        #expect(try index.search(SearchRequest(text: try QueryParser.parse("beta"), countTotal: true)).totalFound == 100)
        try catalog.close()
        let again = try Catalog(directory: dir.path, options: testOptions())
        #expect(try again.index("logs").problems.isEmpty, "the manifest no longer names it")
        #expect(try again.index("logs").search(SearchRequest(countTotal: true)).totalFound == 100)
        try again.close()
    }

    /// A closed index "logs" with one segment per batch of documents.
    func closedIndex(segments batches: [[NewDocument]]) throws -> TemporaryDirectory {
        let dir = TemporaryDirectory()
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.createIndex(IndexSettings(name: "logs", retentionDays: 100_000))
        for batch in batches {
            _ = try index.append(batch)
            try index.flush()
        }
        try catalog.close()
        return dir
    }

    /// An index of two segments ("alpha" lines then "beta" lines), closed, with one byte of
    /// the first segment's `section` changed on disk; returns the directory and that name.
    func twoSegmentsWithDamage(in section: SegmentFormat.Section, alphaLines: Int) throws -> (TemporaryDirectory, String) {
        let dir = try closedIndex(segments: [
            (0..<alphaLines).map {
                doc("alpha line \($0) word\($0)", at: day1 + Int64($0), [("host", .string("web\($0 % 7)")), ("ms", .number(text: "\($0)"))])
            },
            (0..<100).map { doc("beta line \($0)", at: day1 + 100_000 + Int64($0), [("host", .string("db1"))]) },
        ])
        let segmentsDir = dir.path + "/indexes/logs/segments"
        let first = try #require(FileSystem.list(segmentsDir).filter { $0.hasSuffix(".seg") }.sorted().first)
        var bytes = try FileSystem.readAll(segmentsDir + "/" + first)
        let range = try bytes.withUnsafeBytes { b in
            try #require(try SegmentFileReader.tableOfContents(b).first { $0.id == section.rawValue }).range
        }
        bytes[range.lowerBound + range.count / 2] ^= 0x5A
        try FileSystem.writeAtomically(segmentsDir + "/" + first, bytes)
        return (dir, String(first.dropLast(4)))
    }

    /// Each big section is read a page at a time, checked on first use: a query that meets the
    /// damaged page fails naming the segment (never answers from it), the segment leaves
    /// service, and the next query answers from the rest.
    /// (The small sections may share a page with what opening reads: found then, also right.)
    @Test(arguments: [
        (SegmentFormat.Section.docStoreData, true), (.postings, true), (.termData, true), (.attributeData, true),
        (.packedIDs, false), (.lengths, false), (.termIndex, false),
    ])
    func aQueryThatReadsADamagedPageFailsNamingTheSegment(_ section: SegmentFormat.Section, spansPages: Bool) throws {
        let (dir, name) = try twoSegmentsWithDamage(in: section, alphaLines: 20_000)
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.index("logs")
        if !index.problems.isEmpty {
            #expect(!spansPages, "opening read the middle of \(section)")
            #expect(index.problems.contains { $0.contains(name) })
            #expect(FileSystem.exists(dir.path + "/indexes/logs/quarantine/" + name + ".seg"))
            try catalog.close()
            return
        }
        // Between them: the whole dictionary, every posting
        // list, every js column and value, every id and length (relevance), every document.
        let hosts = (0..<7).map { FilterValue.string("web\($0)") } + [.string("db1")]
        var request = SearchRequest(
            text: try QueryParser.parse("alpha | line | web0 | web1 | web2 | web3 | web4 | web5 | web6 | word1"),
            filter: .oneOf(key: "host", values: hosts), countTotal: true)
        request.order = .relevance
        request.limit = 10
        var grouped = SearchRequest(text: try QueryParser.parse("line"), countTotal: true)
        grouped.groupBy = "host"
        var everything = SearchRequest(filter: .compare(key: "ms", .greaterOrEqual, 0), countTotal: true)
        everything.limit = 30_000
        everything.maxMatches = 30_000
        // Every term of every field (a two-letter infix has no gram to filter blocks by).
        let scan = SearchRequest(text: try QueryParser.parse("*or*"), countTotal: true)
        var failure: AlcoError?
        for r in [request, grouped, everything, scan] where failure == nil {
            do { _ = try index.search(r) } catch let e as AlcoError { failure = e }
        }
        guard case .corruptSegment(let failed, let reason) = failure else {
            Issue.record("no query failed on damaged \(section): \(String(describing: failure))")
            return
        }
        #expect(failed == name && reason.contains("checksum mismatch"))
        #expect(index.problems.contains { $0.contains("segment \(name) of index logs is damaged") })
        #expect(FileSystem.exists(dir.path + "/indexes/logs/quarantine/" + name + ".seg"))
        let left = try index.search(SearchRequest(text: try QueryParser.parse("line"), countTotal: true)).totalFound
        #expect(left >= 100 && left < 20_100)
        #expect(try index.search(SearchRequest(text: try QueryParser.parse("beta"), countTotal: true)).totalFound == 100)
        try catalog.close()
    }

    /// A damaged page that no query reads is left to the background pass, which finds it.
    @Test func aDamagedPageNoQueryReadsIsFoundByTheBackgroundPass() throws {
        // Thousands of distinct words: the gram filters (read only by infix searches) span pages of their own.
        let (dir, name) = try twoSegmentsWithDamage(in: .termGramFilters, alphaLines: 6000)
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.index("logs")
        #expect(index.problems.isEmpty)
        var request = SearchRequest(text: try QueryParser.parse("alpha"), countTotal: true)
        request.limit = 10
        #expect(try index.search(request).totalFound == 6000)
        let pass = try index.verifySegments { _ in }
        #expect(pass.damaged == [name])
        #expect(try index.search(SearchRequest(text: try QueryParser.parse("alpha"), countTotal: true)).totalFound == 0)
        try catalog.close()
    }

    /// Opening reads a segment's table of contents and a few small parts, not its sections:
    /// what it checks is a few pages per segment, about the same for 100 lines and for 10,000
    /// (a dictionary of more than 512 blocks, 16,384 terms, adds a page: its prefix sample).
    @Test func openingReadsAFewPagesWhateverTheSegmentSize() throws {
        var at = day1
        let dir = try closedIndex(
            segments: ([10_000] + Array(repeating: 100, count: 40)).map { size in
                (0..<size).map { i in
                    at += 1
                    return doc("line \(i) of \(size) request=\(UInt64(i) &* 2_654_435_761)", at: at, [("host", .string("web\(i % 40)"))])
                }
            })
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.index("logs")
        let segments = try index.snapshot()
        #expect(segments.count == 41)
        let page = PageChecksums.pageSize
        for s in segments {
            #expect(s.reader.bytesVerifiedOnUse <= 7 * page, "\(s.reader.docCount) docs: \(s.reader.bytesVerifiedOnUse) bytes checked on opening")
        }
        let big = try #require(segments.first { $0.reader.docCount == 10_000 })
        #expect(big.reader.storage.bytes.count > 60 * page)
        // A search then checks what it reads, not the segment.
        _ = try index.search(SearchRequest(text: try QueryParser.parse("request"), limit: 5))
        #expect(big.reader.bytesVerifiedOnUse < big.reader.storage.bytes.count / 2)
        try catalog.close()
    }

    /// A first try on an event loop stops once it reads pages never read (likely from disk),
    /// to be run again off the loop; a try without that bound answers in full.
    @Test func aSearchBoundByColdReadsStopsOnceItReadsNewPages() throws {
        let dir = try closedIndex(
            segments: (0..<4).map { k in (0..<3000).map { doc("line \(k) \($0) word\($0)", at: day1 + Int64(k * 10_000 + $0)) } })
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.index("logs")
        var request = SearchRequest(text: try QueryParser.parse("line"), limit: 0, countTotal: true)
        request.coldReadLimitBytes = 1
        let first = try index.search(request)
        #expect(first.timedOut)
        request.coldReadLimitBytes = nil
        let full = try index.search(request)
        #expect(!full.timedOut && full.totalFound == 12_000)
        // Everything it needs is read now: asking again reads no new page. (The bound counts
        // the whole process's new pages, so other tests running meanwhile may trip it.)
        let segments = try index.snapshot()
        let read = segments.map(\.reader.bytesVerifiedOnUse)
        #expect(try index.search(request).totalFound == 12_000)
        #expect(segments.map(\.reader.bytesVerifiedOnUse) == read)
        try catalog.close()
    }

    @Test func aPassStopsWhenItsPaceThrows() throws {
        struct Stop: Error {}
        let dir = TemporaryDirectory()
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.createIndex(IndexSettings(name: "logs", retentionDays: 100_000))
        _ = try index.append((0..<50).map { doc("gamma \($0)", at: day1 + Int64($0)) })
        try index.flush()
        #expect(throws: Stop.self) { try index.verifySegments { _ in throw Stop() } }
        #expect(index.problems.isEmpty, "stopping is not damage")
        #expect(try index.search(SearchRequest(countTotal: true)).totalFound == 50)
        try catalog.close()
    }

    @Test func chunkedChecksumsEqualTheWholeOnes() {
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        bytes.withUnsafeBytes { b in
            var sum: UInt32 = 0
            var at = 0
            while at < b.count {
                let end = min(at + 999, b.count)
                sum = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[at..<end]), seed: sum)
                at = end
            }
            #expect(sum == CRC32C.checksum(b))
        }
    }

    @Test func thePacerKeepsToItsRate() {
        var pacer = IOPacer(bytesPerSecond: 1 << 20, now: 0)
        // A MiB read at once, 0.25 s in: 0.75 s to wait.
        #expect(pacer.delay(after: 1 << 20, now: 250_000_000) == 750_000_000)
        // Another MiB at 2.5 s: behind the rate, no wait.
        #expect(pacer.delay(after: 1 << 20, now: 2_500_000_000) == 0)
        #expect(pacer.delay(after: 0, now: 3_000_000_000) == 0)
    }
}
