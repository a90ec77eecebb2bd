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
