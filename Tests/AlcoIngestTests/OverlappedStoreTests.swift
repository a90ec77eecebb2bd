import AlcoIndex
import Foundation
import Testing

@testable import AlcoIngest

/// `LineIngester.overlapsStores`: a batch is stored while the next is decoded, and what is
/// stored, rejected and reported as the place to resume is what storing one batch at a time
/// gives.
@Suite struct OverlappedStoreTests {
    final class Fixture: IngestTestIndex {
        init() throws { try super.init(name: "logs") }

        func ingester(overlapping: Bool, batchSize: Int) -> LineIngester {
            let i = LineIngester(index: index, rejects: rejects, format: .json)
            i.batchSize = batchSize
            i.overlapsStores = overlapping
            return i
        }

        /// Every stored logline, oldest first.
        func loglines() throws -> [String] {
            let request = SearchRequest(order: .idAscending, limit: 100_000, maxMatches: 100_000)
            return try index.search(request).hits.map(\.logline)
        }
    }

    /// Line `n` of a stream: a logstash message, or (where `malformed` says) a broken one.
    static func line(_ n: Int, malformed: Bool = false) -> String {
        if malformed { return "{\"message\": \"broken \(n)\", " }
        let second = String(format: "%02d", n % 60)
        return
            "{\"@timestamp\": \"2026-11-20T10:\(String(format: "%02d", n / 60 % 60)):\(second).\(String(format: "%06d", n))Z\", \"message\": \"line \(n)\", \"levelname\": \"INFO\"}"
    }

    static func stream(_ count: Int, malformedAt bad: Set<Int> = []) -> [UInt8] {
        Array((1...count).map { line($0, malformed: bad.contains($0)) + "\n" }.joined().utf8)
    }

    @Test func storesWhatOneBatchAtATimeStores() throws {
        let bad: Set<Int> = [7, 250, 251, 999]
        let input = Self.stream(1_000, malformedAt: bad)
        var results: [(stored: Int, rejected: Int, lines: [String], rejectedLines: [Int])] = []
        for overlapping in [false, true] {
            let f = try Fixture()
            let ingester = f.ingester(overlapping: overlapping, batchSize: 64)
            var rejectedLines: [Int] = []
            ingester.onReject = { n, _ in rejectedLines.append(n) }
            try input.withUnsafeBytes { try ingester.ingest(buffer: $0, source: "s") }
            try f.index.seal()
            results.append((ingester.stored, ingester.rejected, try f.loglines(), rejectedLines))
        }
        #expect(results[1].stored == 996)
        #expect(results[1].rejected == 4)
        #expect(results[1].rejectedLines == bad.sorted())
        #expect(results[1].lines == (1...1_000).filter { !bad.contains($0) }.map { "line \($0)" })
        #expect(results[0].stored == results[1].stored && results[0].lines == results[1].lines)
        #expect(results[0].rejectedLines == results[1].rejectedLines)
    }

    /// A batch whose store fails is reported when the next batch or reject waits for it: the
    /// place to resume is its first line, nothing after it is stored, and no line after it is
    /// recorded as rejected (resuming there would record it twice).
    @Test func aFailedStoreStopsAtItsFirstLineAndRecordsNothingPastIt() throws {
        let f = try Fixture()
        let ingester = f.ingester(overlapping: true, batchSize: 100)
        // Line 101 is rejected after the first batch (lines 1-100) is stored; dropping the
        // index then makes the second batch (102-201) fail while line 205 waits to be rejected.
        let input = Self.stream(300, malformedAt: [101, 205])
        var rejectedLines: [Int] = []
        ingester.onReject = { n, _ in
            rejectedLines.append(n)
            if n == 101 { try? f.catalog.dropIndex("logs") }
        }
        #expect(throws: AlcoError.self) {
            try input.withUnsafeBytes { try ingester.ingest(buffer: $0, source: "s") }
        }
        #expect(ingester.stored == 100)
        #expect(ingester.firstUnstored?.line == 102)
        #expect(ingester.firstUnstored?.source == "s")
        #expect(rejectedLines == [101])
        #expect(f.rejects.total == 1)
    }

    /// The end of input waits for the batch in flight: a failure there is still reported.
    @Test func theLastBatchInFlightIsWaitedFor() throws {
        let f = try Fixture()
        let ingester = f.ingester(overlapping: true, batchSize: 10)
        try Self.stream(35).withUnsafeBytes { try ingester.ingest(buffer: $0, source: "s") }
        #expect(ingester.stored == 35)
        try f.index.seal()
        #expect(try f.loglines().count == 35)
    }
}
