import Foundation
import Testing

@testable import AlcoIndex

/// A merge takes its words from the sources' postings (`PostingsMerge`) rather than reading
/// the documents again; the segment it writes must be the one re-tokenizing writes, byte for
/// byte, whichever way the sources' ids lie, whatever they delete and however the merge splits.
@Suite struct PostingsMergeTests {
    static let extraFields = ["host"]

    /// Real lines of four LogHub systems with js around them: values that are also words of the
    /// line (for the any-field counts), a host every line has (an indexed field), keys only
    /// some lines have, patterns beside some docs, and lines of many words.
    static let documents: [Document] = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        var docs: [Document] = []
        for system in ["HDFS", "Apache", "OpenSSH", "Zookeeper"] {
            let data = FileManager.default.contents(atPath: url.path + "/Fixtures/loghub/\(system)_2k.log") ?? Data()
            // Lines end in CRLF (a single Character, so split the bytes).
            for bytes in data.split(separator: UInt8(ascii: "\n")).prefix(900) {
                let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .newlines)
                let k = docs.count
                let level = line.contains("WARN") ? "WARN" : line.contains("ERROR") ? "ERROR" : "INFO"
                var js = #"{"system":"\#(system)","level":"\#(level)","host":"node-\#(k % 13)","n":\#(k)"#
                if k % 17 == 0 { js += #","rare":"only-\#(k)","nested":{"a":[1,"two",true]}"# }
                js += "}"
                var logline = String(line)
                if k % 500 == 7 { logline += String(repeating: " word\(k % 3) INFO", count: 3000) }
                docs.append(Document(id: UInt64(1_000 + 3 * k), logline: logline, js: js, pattern: k % 4 == 0 ? UInt32(k % 50) : nil))
            }
        }
        precondition(docs.count > 3_000, "the LogHub fixtures are missing")
        return docs
    }()

    static func segment(_ docs: [Document], name: String) throws -> SegmentReader {
        let builder = SegmentBuilder(extraFields: extraFields)
        for d in docs { builder.add(d) }
        return try SegmentReader(name: name, storage: SegmentStorage(copying: builder.finish()))
    }

    /// The merge the engine does (ascending ids, a duplicate id kept once, tombstoned docs left
    /// out), written both ways; returns the two images of each output.
    static func mergeBothWays(
        _ sources: [SegmentReader], deleted: [Set<UInt32>] = [], outputSize: Int = .max
    ) throws -> [(retokenized: [UInt8], merged: [UInt8])] {
        var live: [(id: UInt64, source: Int, ordinal: UInt32)] = []
        for (k, s) in sources.enumerated() {
            for o in 0..<UInt32(s.docCount) where !(deleted.count > k && deleted[k].contains(o)) {
                live.append((s.id(o), k, o))
            }
        }
        live.sort { ($0.id, $0.source) < ($1.id, $1.source) }
        var outputs: [(retokenized: [UInt8], merged: [UInt8])] = []
        var start = 0
        while start < live.count {
            let retokenizing = SegmentBuilder(extraFields: extraFields, compression: .high)
            let merging = SegmentBuilder(extraFields: extraFields, compression: .high)
            var newOrdinals = sources.map { _ in [UInt32]() }
            var k = start
            while k < live.count && merging.count < outputSize {
                let (id, s, o) = live[k]
                k += 1
                if merging.lastID == id { continue }
                let d = try sources[s].document(o)
                if newOrdinals[s].isEmpty { newOrdinals[s] = [UInt32](repeating: PostingsMerge.absent, count: sources[s].docCount) }
                newOrdinals[s][Int(o)] = UInt32(merging.count)
                merging.addMerged(d, length: sources[s].length(o))
                retokenizing.add(d)
            }
            start = k
            let merge = PostingsMerge(
                sources: sources.indices.filter { !newOrdinals[$0].isEmpty }.map {
                    PostingsMerge.Source(reader: sources[$0], newOrdinals: newOrdinals[$0])
                })
            let image = try merging.finishImage(merging: merge)
            defer { image.deallocate() }
            outputs.append((retokenizing.finish(), Array(image)))
        }
        return outputs
    }

    static func expectSame(_ outputs: [(retokenized: [UInt8], merged: [UInt8])], _ what: Comment) throws {
        for (k, o) in outputs.enumerated() {
            #expect(o.merged.count == o.retokenized.count, "\(what): output \(k) size")
            #expect(o.merged == o.retokenized, "\(what): output \(k) bytes")
            // And it reads: every word the re-tokenized one has, with the same docs.
            let merged = try SegmentReader(name: "m", storage: SegmentStorage(copying: o.merged))
            #expect(merged.termCount > 0)
        }
    }

    @Test func sourcesOneAfterAnother() throws {
        let docs = Self.documents
        let quarter = docs.count / 4
        let sources = try (0..<4).map { k in
            try Self.segment(Array(docs[(k * quarter)..<(k == 3 ? docs.count : (k + 1) * quarter)]), name: "s\(k)")
        }
        let whole = try Self.mergeBothWays(sources)
        try Self.expectSame(whole, "adjacent sources")
        // The any-field counts of frequent words (INFO is a word of lines and a js value).
        let reader = try SegmentReader(name: "w", storage: SegmentStorage(copying: whole[0].merged))
        #expect(reader.sectionSizes["multiFieldFrequencies"] != nil)
        #expect((reader.docFreqInAnyField(Array("info".utf8)) ?? 0) >= 1024)
        // Merged sources, merged again (the segments a day holds after several merges).
        let outputs = try Self.mergeBothWays(Array(sources[0..<2]))
        let first = try SegmentReader(name: "m", storage: SegmentStorage(copying: outputs[0].merged))
        try Self.expectSame(try Self.mergeBothWays([first] + Array(sources[2...])), "merged then merged again")
    }

    @Test func sourcesWhoseIDsInterleave() throws {
        let docs = Self.documents
        let sources = try (0..<3).map { k in
            try Self.segment(docs.enumerated().filter { $0.offset % 3 == k }.map(\.element), name: "i\(k)")
        }
        try Self.expectSame(try Self.mergeBothWays(sources), "interleaved sources")
        // Runs of a few docs each way, as overlapping runs of segments hold.
        let runs = try (0..<2).map { k in
            try Self.segment(docs.enumerated().filter { ($0.offset / 5) % 2 == k }.map(\.element), name: "r\(k)")
        }
        try Self.expectSame(try Self.mergeBothWays(runs), "runs that interleave")
    }

    @Test func deletionsDuplicatesAndSplitOutputs() throws {
        let docs = Self.documents
        let half = docs.count / 2
        // The second source repeats 100 docs of the first (a replayed batch: one copy is kept).
        let a = try Self.segment(Array(docs[0..<half]), name: "a")
        let b = try Self.segment(Array(docs[(half - 100)...]), name: "b")
        let deleted: [Set<UInt32>] = [Set(stride(from: 0, to: UInt32(half), by: 7)), Set([0, 1, 2, 500, UInt32(b.docCount - 1)])]
        try Self.expectSame(try Self.mergeBothWays([a, b], deleted: deleted), "deletions and duplicates")
        // Outputs cut at a size that splits each source across two of them.
        let split = try Self.mergeBothWays([a, b], deleted: deleted, outputSize: 1_000)
        #expect(split.count == 4)
        try Self.expectSame(split, "outputs of 1,000")
        // Every doc of a source deleted but one.
        let mostlyGone: [Set<UInt32>] = [Set(1..<UInt32(half)), []]
        try Self.expectSame(try Self.mergeBothWays([a, b], deleted: mostlyGone), "a source with one live doc")
    }

    @Test func searchesOfAMergedSegmentMatchTheSources() throws {
        let docs = Self.documents
        let sources = try (0..<2).map { k in
            try Self.segment(docs.enumerated().filter { $0.offset % 2 == k }.map(\.element), name: "q\(k)")
        }
        let merged = try SegmentReader(
            name: "m", storage: SegmentStorage(copying: try Self.mergeBothWays(sources)[0].merged))
        // Each word's docs, by id, are the union of the sources'.
        for word in ["received", "block", "info", "node-3", "exception", "word1", "opensshd", "two"] {
            for field in 0..<UInt8(3) {
                let key = [field] + Array(word.utf8)
                var expected: [UInt64] = []
                for s in sources {
                    if let info = s.lookup(key) { expected += try s.postingList(info).allDocs().map { s.id($0) } }
                }
                let got = try merged.lookup(key).map { try merged.postingList($0).allDocs().map { merged.id($0) } } ?? []
                #expect(got == expected.sorted(), "\(word) in field \(field)")
            }
        }
    }

    @Test func aDamagedSourceStopsTheMerge() throws {
        let docs = Array(Self.documents.prefix(1_500))
        let good = try Self.segment(Array(docs[0..<700]), name: "g")
        let builder = SegmentBuilder(extraFields: Self.extraFields)
        for d in docs[700...] { builder.add(d) }
        var bytes = builder.finish()
        // A byte in the middle of the postings section, where merging reads it.
        let postings = try bytes.withUnsafeBytes { all in
            try #require(try SegmentFileReader.tableOfContents(all).first { $0.0 == SegmentFormat.Section.postings.rawValue }?.2)
        }
        bytes[(postings.lowerBound + postings.upperBound) / 2] ^= 0x5A
        let path = NSTemporaryDirectory() + "alco-damaged-" + UUID().uuidString + ".seg"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let damaged = try SegmentReader(name: "d", storage: SegmentStorage(mapped: MappedFile(path: path)))
        let merge = PostingsMerge(sources: [
            PostingsMerge.Source(reader: good, newOrdinals: (0..<UInt32(good.docCount)).map { $0 }),
            PostingsMerge.Source(reader: damaged, newOrdinals: (0..<UInt32(damaged.docCount)).map { $0 + UInt32(good.docCount) }),
        ])
        var out = ByteWriter()
        #expect(throws: AlcoError.self) { _ = try merge.write(into: &out) }
    }
}

/// Through the engine: a key flagged `indexed` after some segments were written has no field
/// in them, so their merge reads those documents' words again; the merged segment finds the
/// key's words in every doc.
@Suite struct MergeAfterNewIndexedKeyTests {
    @Test func aKeyIndexedSinceIsFoundInTheMergedSegment() throws {
        let dir = TemporaryDirectory()
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        defer { try? catalog.close() }
        let index = try catalog.createIndex(IndexSettings(name: "k"))
        func batch(_ from: Int) -> [NewDocument] {
            (from..<(from + 300)).map { k in doc("line \(k) of work", at: day1 + Int64(k), [("host", .string("node\(k % 5)"))]) }
        }
        _ = try index.append(batch(0))
        try index.flush()
        try index.columns.declare("host") { $0.indexed = true }
        _ = try index.append(batch(300))
        try index.flush()
        #expect(try index.snapshot().count == 2)
        try index.optimize()
        let segments = try index.snapshot()
        #expect(segments.count == 1)
        #expect(segments[0].reader.fieldNames == SegmentFormat.Field.names + ["host"])
        let request = SearchRequest(text: try QueryParser.parse("@host node3"), order: .idAscending, limit: 1000, maxMatches: 1000)
        let hits = try index.search(request).hits
        #expect(hits.count == 120)
    }
}
