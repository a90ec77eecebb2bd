import AlcoIndex
import Foundation
import Testing

@testable import AlcoIngest

/// One followed file, against a real index: what it decodes, and the offset before which
/// everything is decoded (the position a file source stores with its batch).
@Suite struct FileFollowerTests {
    final class Fixture: IngestTestIndex {
        var path: String { dir + "/app.log" }

        init() throws { try super.init(name: "files") }

        func append(_ text: String) throws {
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try h.seekToEnd()
            try h.write(contentsOf: Data(text.utf8))
            try h.close()
        }

        func follower(at position: FilePosition? = nil) -> FileFollower? {
            FileFollower(path: path, ingester: LineIngester(index: index, rejects: rejects), resumingAt: position)
        }

        func loglines(_ f: FileFollower) throws -> [String] { try f.ingester.takeBatch().map(\.logline) }
    }

    static let line1 = "2026-12-03 10:00:01,000 INFO main started\n"
    static let line2 = "2026-12-03 10:00:02,000 ERROR main failed\n"
    static let trace = "java.lang.IllegalStateException: x\n\tat com.example.A.b(A.java:1)\n"

    @Test func decodedOffsetStopsBeforeAnOpenRecordAndAPartialLine() throws {
        let fx = try Fixture()
        #expect(FileManager.default.createFile(atPath: fx.path, contents: Data((Self.line1 + Self.line2 + Self.trace).utf8)))
        let f = try #require(fx.follower())
        #expect(try f.readAppended(budget: 1 << 20) > 0)
        // line2 and its trace may still grow: only line1 is decoded.
        #expect(f.decoded.offset == UInt64(Self.line1.utf8.count) && f.decoded.line == 1)
        #expect(try fx.loglines(f) == [String(Self.line1.dropLast())])
        try fx.append("2026-12-03 10:00:03,000 INFO main")  // no newline yet: it may yet continue
        _ = try f.readAppended(budget: 1 << 20)
        #expect(try fx.loglines(f).isEmpty)
        #expect(f.decoded.offset == UInt64(Self.line1.utf8.count))
        try f.completeIfIdle(idleNanoseconds: 60_000_000_000)  // not idle long enough
        #expect(try fx.loglines(f).isEmpty)
        // Idle: the partial line is taken as it is, and nothing is left open.
        try f.completeIfIdle(idleNanoseconds: 0)
        #expect(try fx.loglines(f) == [String((Self.line2 + Self.trace).dropLast()), "2026-12-03 10:00:03,000 INFO main"])
        let size = try FileManager.default.attributesOfItem(atPath: fx.path)[.size] as! Int
        #expect(f.decoded.offset == UInt64(size) && f.decoded.line == 5)
    }

    @Test func resumesAtASavedPositionAndRefusesAnotherFile() throws {
        let fx = try Fixture()
        #expect(FileManager.default.createFile(atPath: fx.path, contents: Data((Self.line1 + Self.line2).utf8)))
        let first = try #require(fx.follower())
        _ = try first.readAppended(budget: 1 << 20)
        try first.completeIfIdle(idleNanoseconds: 0)
        _ = try fx.loglines(first)
        let saved = first.position
        try fx.append(Self.line1)
        let resumed = try #require(fx.follower(at: saved))
        _ = try resumed.readAppended(budget: 1 << 20)
        try resumed.completeIfIdle(idleNanoseconds: 0)
        #expect(try fx.loglines(resumed) == [String(Self.line1.dropLast())])
        #expect(resumed.decoded.line == 3)
        // The same name, another file (new inode or other first bytes): not resumed.
        try FileManager.default.removeItem(atPath: fx.path)
        #expect(FileManager.default.createFile(atPath: fx.path, contents: Data((Self.line2 + Self.line1).utf8)))
        #expect(fx.follower(at: saved) == nil)
    }

    @Test func truncationIsReadAgainFromTheStart() throws {
        let fx = try Fixture()
        #expect(FileManager.default.createFile(atPath: fx.path, contents: Data((Self.line1 + Self.line2).utf8)))
        let f = try #require(fx.follower())
        _ = try f.readAppended(budget: 1 << 20)
        try f.completeIfIdle(idleNanoseconds: 0)
        #expect(try fx.loglines(f).count == 2)
        // copytruncate, then more written than was there: only the first bytes tell.
        let longer = "2026-12-03 10:00:09,000 WARN main after truncation " + String(repeating: "x", count: 200) + "\n"
        try Data(longer.utf8).write(to: URL(fileURLWithPath: fx.path))
        _ = try f.readAppended(budget: 1 << 20)
        try f.completeIfIdle(idleNanoseconds: 0)
        #expect(f.truncations == 1)
        #expect(try fx.loglines(f) == [String(longer.dropLast())])
        #expect(f.decoded.offset == UInt64(longer.utf8.count) && f.decoded.line == 1)
    }
}
