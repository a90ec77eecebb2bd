import Foundation
import Testing

@testable import AlcoIndex

/// Shapes real logs have, which are also ways to hurt a server: thousands of lines with one
/// timestamp, keys only one line has, and keys few lines have (sparse columns).
@Suite(.serialized) struct IngestShapeTests {
    /// Seconds to append `docs` in batches of 8,192 and flush, best of three fresh indexes.
    func timeToStore(_ docs: [NewDocument]) throws -> Double {
        var best = Double.infinity
        for _ in 0..<3 {
            let dir = TemporaryDirectory()
            let catalog = try Catalog(directory: dir.path, options: testOptions())
            let index = try catalog.createIndex(IndexSettings(name: "logs"))
            let started = Date()
            var k = 0
            while k < docs.count {
                _ = try index.append(Array(docs[k..<min(docs.count, k + 8192)]))
                k += 8192
            }
            try index.flush()
            best = min(best, Date().timeIntervalSince(started))
            try catalog.close()
        }
        return best
    }

    @Test func oneTimestampCostsWhatSpreadTimestampsCost() throws {
        let n = 100_000
        let same = (0..<n).map { k in doc("request \(k) served", at: day1) }
        let spread = (0..<n).map { k in doc("request \(k) served", at: day1 + Int64(k) * 10_000) }
        let sameTime = try timeToStore(same)
        let spreadTime = try timeToStore(spread)
        #expect(sameTime <= 3 * spreadTime, "one timestamp \(sameTime) s, spread \(spreadTime) s")
        // Every line got its own id, in order.
        let dir = TemporaryDirectory()
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.createIndex(IndexSettings(name: "logs"))
        let ids = try index.append(Array(same.prefix(5000)))
        #expect(Set(ids).count == 5000 && ids == ids.sorted())
        try catalog.close()
    }

    /// Bytes of the index's segments after a flush.
    func diskBytes(_ docs: [NewDocument]) throws -> Int {
        let dir = TemporaryDirectory()
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.createIndex(IndexSettings(name: "logs"))
        _ = try index.append(docs)
        try index.flush()
        let segments = dir.path + "/indexes/logs/segments"
        let bytes = FileSystem.list(segments).reduce(0) { $0 + FileSystem.fileSize(segments + "/" + $1) }
        try catalog.close()
        return bytes
    }

    @Test func keysOfOneLineCostLittleMoreThanSharedKeys() throws {
        let n = 20_000
        func lines(unique: Bool) -> [NewDocument] {
            (0..<n).map { i in
                doc(
                    "event \(i)", at: day1 + Int64(i) * 1000,
                    (0..<20).map { k in
                        (unique ? "req_\(i)_\(k)" : "field_\(k)", JSONValue.string("v\(i)-\(k)"))
                    })
            }
        }
        let unique = try diskBytes(lines(unique: true))
        let shared = try diskBytes(lines(unique: false))
        #expect(unique <= 3 * shared, "keys of one line: \(unique) bytes, shared keys: \(shared) bytes")
    }

    /// Keys few documents have are stored as sparse columns; filters and groups on them
    /// answer as on any other key (compared with a scan of the documents).
    @Test func sparseColumnsAnswerLikeDenseOnes() throws {
        let dir = TemporaryDirectory()
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        defer { try? catalog.close() }
        let index = try catalog.createIndex(IndexSettings(name: "logs"))
        var docs: [NewDocument] = []
        for k in 0..<4000 {
            var js: [(String, JSONValue)] = [("host", .string("web\(k % 4)"))]
            if k % 97 == 0 { js.append(("rare", .string("r\(k % 3)"))) }
            if k % 89 == 0 { js.append(("latency", .number(text: String(k % 500)))) }
            if k % 113 == 0 { js.append(("tags", .array([.string("a"), .string("b\(k % 2)")]))) }
            docs.append(doc("line \(k)", at: day1 + Int64(k), js))
        }
        _ = try index.append(docs)
        try index.flush()
        func count(_ filter: Filter) throws -> Int { try index.search(SearchRequest(filter: filter, limit: 0, countTotal: true)).totalFound }
        let rare = (0..<4000).filter { $0 % 97 == 0 }
        #expect(try count(.oneOf(key: "rare", values: [.string("r1")])) == rare.filter { $0 % 3 == 1 }.count)
        #expect(try count(.exists(key: "rare")) == rare.count)
        #expect(try count(.not(.exists(key: "rare"))) == 4000 - rare.count)
        let slow = (0..<4000).filter { $0 % 89 == 0 && $0 % 500 > 250 }
        #expect(try count(.compare(key: "latency", .greater, 250)) == slow.count)
        #expect(try count(.between(key: "latency", 100, 200)) == (0..<4000).filter { $0 % 89 == 0 && (100...200).contains($0 % 500) }.count)
        #expect(try count(.oneOf(key: "tags", values: [.string("b1")])) == (0..<4000).filter { $0 % 113 == 0 && $0 % 2 == 1 }.count)
        let groups = try index.search(SearchRequest(groupBy: "rare")).groups
        var expected: [String?: Int] = [nil: 4000 - rare.count]
        for k in rare { expected["r\(k % 3)", default: 0] += 1 }
        #expect(Dictionary(uniqueKeysWithValues: groups.map { ($0.value, $0.count) }) == expected)
        // The newest document of each group, as Sphinx shows a group.
        let newestR0 = try #require(groups.first { $0.value == "r0" })
        #expect(DocumentID.microseconds(of: newestR0.representativeID) == day1 + Int64(rare.last { $0 % 3 == 0 }!))
        let numbers = try index.search(SearchRequest(groupBy: "latency")).groups
        #expect(numbers.reduce(0) { $0 + $1.count } == 4000)
    }

    /// A segment names its groups once (`SegmentReader.valueNames`) for keys of few values; a
    /// key with more values than it keeps names is counted by decoding, with the same answer,
    /// and asking again answers from the kept names alike.
    @Test func groupsOfAKeyWithMoreValuesThanASegmentNames() throws {
        let dir = TemporaryDirectory()
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        defer { try? catalog.close() }
        let index = try catalog.createIndex(IndexSettings(name: "g"))
        let n = SegmentReader.maxNamedValues + 500
        let docs = (0..<n).map { k in
            doc("line \(k)", at: day1 + Int64(k), [("user", .string("u\(k)")), ("level", .string(["INFO", "WARN", "ERROR"][k % 3]))])
        }
        _ = try index.append(docs)
        try index.flush()
        #expect(try index.snapshot().count == 1)
        for _ in 0..<2 {
            let levels = try index.search(SearchRequest(groupBy: "level")).groups
            #expect(Dictionary(uniqueKeysWithValues: levels.map { ($0.value, $0.count) }) == ["INFO": (n + 2) / 3, "WARN": (n + 1) / 3, "ERROR": n / 3])
            let users = try index.search(SearchRequest(limit: n, groupBy: "user")).groups
            #expect(users.count == n)
            #expect(Set(users.map { $0.value ?? "" }) == Set((0..<n).map { "u\($0)" }))
            #expect(users.allSatisfy { $0.count == 1 })
        }
    }
}
