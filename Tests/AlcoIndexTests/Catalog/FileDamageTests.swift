import Foundation
import Testing

@testable import AlcoIndex

/// Files under damage and concurrency: what an index reads at open is reported and kept
/// aside when damaged, never taken as empty, and never keeps the server from starting.
@Suite struct FileDamageTests {
    func overwrite(_ path: String, with text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func quarantined(_ dir: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: dir + "/quarantine")) ?? []
    }

    @Test func damagedColumnsAreQuarantinedAndReported() throws {
        let dir = TemporaryDirectory()
        do {
            let catalog = try Catalog(directory: dir.path, options: testOptions())
            let index = try catalog.createIndex(IndexSettings(name: "logs"))
            _ = try index.append([doc("one", at: day1, [("host", .string("web1"))])])
            try index.columns.declare("host") { $0.applicationFlags["display"] = true }
            try catalog.close()
        }
        let indexDir = dir.path + "/indexes/logs"
        try overwrite(indexDir + "/columns.json", with: "{\"columns\": [ {\"na")
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.index("logs")
        #expect(index.problems.contains { $0.contains("columns.json was unreadable") })
        #expect(quarantined(indexDir).contains { $0.hasPrefix("columns.json.") })
        // The index works; its lines are all there.
        #expect(try index.search(SearchRequest(text: try QueryParser.parse("one"), countTotal: true)).totalFound == 1)
        try catalog.close()
    }

    @Test func damagedSettingsDoNotStopTheOtherIndexes() throws {
        let dir = TemporaryDirectory()
        do {
            let catalog = try Catalog(directory: dir.path, options: testOptions())
            for name in ["a", "b"] {
                let index = try catalog.createIndex(IndexSettings(name: name, retentionDays: 7))
                _ = try index.append([doc("line of \(name)", at: day1)])
            }
            try catalog.close()
        }
        let bDir = dir.path + "/indexes/b"
        try overwrite(bDir + "/settings.json", with: "not json at all")
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        #expect(try catalog.index("a").settings.retentionDays == 7)
        let b = try catalog.index("b")
        #expect(b.problems.contains { $0.contains("settings.json was unreadable") })
        #expect(quarantined(bDir).contains { $0.hasPrefix("settings.json.") })
        #expect(try b.search(SearchRequest(countTotal: true)).totalFound == 1)
        try catalog.close()
        // Written anew: the next start is clean.
        let again = try Catalog(directory: dir.path, options: testOptions())
        #expect(try again.index("b").problems.isEmpty)
        try again.close()
    }

    /// A checksum failure inside a WAL file (not its tail) keeps the records before and after
    /// it, keeps the file as it was, and says so.
    @Test func walDamageInsideAFileKeepsWhatFollows() throws {
        let dir = TemporaryDirectory()
        do {
            let catalog = try Catalog(directory: dir.path, options: testOptions())
            let index = try catalog.createIndex(IndexSettings(name: "logs"))
            for k in 0..<30 { _ = try index.append([doc("record number \(k) here", at: day1 + Int64(k))]) }
            catalog.abandon()  // as after a crash: everything is in the WAL
        }
        let walDir = dir.path + "/indexes/logs/wal"
        let file = try #require(FileSystem.list(walDir).first { $0.hasSuffix(".wal") })
        var bytes = try FileSystem.readAll(walDir + "/" + file)
        // Flip a byte in the middle of the file, inside the payload of record 15.
        let marker = Array("record number 15 here".utf8)
        let at = try #require((0..<(bytes.count - marker.count)).first { Array(bytes[$0..<($0 + marker.count)]) == marker })
        bytes[at + 3] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: walDir + "/" + file))
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.index("logs")
        let found = try index.search(SearchRequest(limit: 100, countTotal: true))
        #expect(found.totalFound == 29)
        let lines = Set(found.hits.map(\.logline))
        #expect(lines.contains("record number 14 here") && lines.contains("record number 16 here") && lines.contains("record number 29 here"))
        #expect(index.problems.contains { $0.contains("damaged inside") && $0.contains("lost") })
        #expect(quarantined(dir.path + "/indexes/logs").contains { $0.hasPrefix(file) })
        try catalog.close()
    }

    @Test func aTornTailIsCutQuietly() throws {
        let dir = TemporaryDirectory()
        do {
            let catalog = try Catalog(directory: dir.path, options: testOptions())
            let index = try catalog.createIndex(IndexSettings(name: "logs"))
            for k in 0..<5 { _ = try index.append([doc("record \(k)", at: day1 + Int64(k))]) }
            catalog.abandon()
        }
        let walDir = dir.path + "/indexes/logs/wal"
        let file = try #require(FileSystem.list(walDir).first { $0.hasSuffix(".wal") })
        let f = try WritableFile(path: walDir + "/" + file, append: true)
        try f.write(Array<UInt8>([200, 0, 0, 0, 1, 2, 3]))  // half a header of a record never finished
        f.close()
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.index("logs")
        #expect(try index.search(SearchRequest(countTotal: true)).totalFound == 5)
        #expect(!index.problems.contains { $0.contains("damaged inside") })
        try catalog.close()
    }

    /// Dropping an index while its merge runs, then creating one of the same name: nothing of
    /// the old index lands in the new one's directory.
    @Test func dropAndRecreateDuringAMerge() throws {
        let dir = TemporaryDirectory()
        var options = testOptions()
        options.mergeFactor = 2
        let catalog = try Catalog(directory: dir.path, options: options)
        defer { try? catalog.close() }
        for round in 0..<3 {
            let index = try catalog.createIndex(IndexSettings(name: "logs"))
            for k in 0..<8 {
                _ = try index.append((0..<3000).map { j in doc("old \(round) segment \(k) line \(j)", at: day1 + Int64(k * 3000 + j)) })
                try index.flush()
            }
            let merging = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                _ = try? index.mergeOnce()
                merging.signal()
            }
            try catalog.dropIndex("logs")
            let fresh = try catalog.createIndex(IndexSettings(name: "logs"))
            _ = try fresh.append([doc("new line", at: day1)])
            try fresh.flush()
            merging.wait()
            try fresh.flush()
            let all = try fresh.search(SearchRequest(limit: 10, countTotal: true))
            #expect(all.totalFound == 1)
            #expect(all.hits.map(\.logline) == ["new line"])
            let manifest = try Manifest.read(dir.path + "/indexes/logs/manifest.json")
            let files = Set(FileSystem.list(dir.path + "/indexes/logs/segments").filter { $0.hasSuffix(".seg") }.map { String($0.dropLast(4)) })
            #expect(files == Set(manifest.segments.map(\.name)), "segment files the manifest does not name")
            try catalog.dropIndex("logs")
        }
    }

    @Test func concurrentSavesOfOneFileNeverMix() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/shared.json"
        DispatchQueue.concurrentPerform(iterations: 64) { k in
            let body = Array("{\"writer\": \(k), \"pad\": \"\(String(repeating: "x", count: 4096 + k))\"}".utf8)
            try? FileSystem.writeAtomically(path, body)
        }
        let text = String(decoding: try FileSystem.readAll(path), as: UTF8.self)
        #expect((try? JSONParser.parse(text)) != nil, "a save mixed with another")
        #expect(!FileSystem.list(dir.path).contains { $0.contains(FileSystem.temporarySuffix) })
    }
}
