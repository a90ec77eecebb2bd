import Foundation
import Testing

@testable import AlcoIndex

/// The segment's filter of every word: never misses one of its words, lets few others pass,
/// keeps its hash (a format), and lets a search skip only segments that cannot match.
struct WordFilterTests {
    static func segment(_ lines: [(String, String)]) throws -> SegmentReader {
        let b = SegmentBuilder()
        for (i, (line, js)) in lines.enumerated() { b.add(Document(id: UInt64(i + 1), logline: line, js: js)) }
        return try SegmentReader(name: "w", storage: SegmentStorage(copying: b.finish()))
    }

    static func hexWord(_ rng: inout SeededRandom) -> String {
        String(rng.next() & 0xFFFF_FFFF_FFFF, radix: 16)
    }

    @Test func everyWordOfTheSegmentPasses() throws {
        var rng = SeededRandom(seed: 7)
        var lines: [(String, String)] = []
        var words: [String] = []
        for i in 0..<2_000 {
            let (id, host) = ("req-\(Self.hexWord(&rng))", "web0\(i % 4)")
            let line = "GET /item/\(Self.hexWord(&rng)) took \(i) ms Ёлка"
            lines.append((line, #"{"request_id":"\#(id)","host":"\#(host)","n":\#(i)}"#))
            words += Tokenizer.tokens(line) + Tokenizer.tokens(id) + Tokenizer.tokens(host) + ["\(i)"]
        }
        let r = try Self.segment(lines)
        do {
            for w in words {
                #expect(r.mayHaveWord(hash: WordFilter.hash(Array(w.utf8))), "\(w)")
            }
        }
    }

    @Test func fewWordsNotInTheSegmentPass() throws {
        var rng = SeededRandom(seed: 11)
        let lines = (0..<20_000).map { _ in (Self.hexWord(&rng), "{}") }
        let r = try Self.segment(lines)
        let present = Set(lines.map(\.0))
        var passed = 0
        var probed = 0
        while probed < 20_000 {
            let w = "z" + Self.hexWord(&rng)
            guard !present.contains(w) else { continue }
            probed += 1
            if r.mayHaveWord(hash: WordFilter.hash(Array(w.utf8))) { passed += 1 }
        }
        // 10 bits a word: about 1% (a split-block filter's rate at that density); 2.5% is a fault.
        #expect(passed < probed / 40, "\(passed) of \(probed) absent words passed")
    }

    /// Segments on disk carry this hash: a change would make old segments skip searches they
    /// match.
    @Test func hashIsPinned() {
        #expect(WordFilter.hash([]) == 0x7D0C_AE22_B0AF_C763)
        #expect(WordFilter.hash(Array("info".utf8)) == 0xE228_50C2_2248_EBB8)
        #expect(WordFilter.hash(Array("6abf7381-f750-req".utf8)) == 0x1A70_52D5_33DF_478D)
    }

    /// ...and so do the block a hash picks and the bits it sets there.
    @Test func bitsArePinned() {
        var hashes = GrowableBuffer<UInt64>(capacity: 2)
        hashes.append(WordFilter.hash(Array("info".utf8)))
        let one = WordFilter.section(hashes: hashes)
        // One block (a word sized at 10 bits needs one): its count, the bits per word, then a
        // bit in each of the block's eight little-endian u32s.
        let words: [UInt32] = [0x8000, 0x40, 0x2, 0x400, 0x200, 0x0800_0000, 0x2000_0000, 0x4_0000]
        var expected: [UInt8] = [1, 0, 0, 0, 10, 0, 0, 0]
        for w in words { expected += withUnsafeBytes(of: w.littleEndian) { Array($0) } }
        #expect(one == expected)
    }

    @Test func segmentsWithoutAWordTheQueryNeedsCannotMatch() throws {
        let r = try Self.segment([
            ("connection reset by peer", #"{"host":"db01","request_id":"req-a1b2"}"#),
            ("disk full on volume", #"{"host":"web02"}"#),
        ])
        func may(_ q: String) throws -> Bool { WordRequirement(try QueryParser.parse(q)).mayMatch(r) }
        #expect(try may("connection"))
        #expect(try may("web02"))  // a js value
        #expect(try may("@js db01"))
        #expect(try !may("missing"))
        #expect(try !may("connection missing"))
        #expect(try may("connection | missing"))
        #expect(try !may("missing | absent"))
        #expect(try may("connection -missing"))
        #expect(try may("-missing"))
        #expect(try !may("\"connection missing\""))
        #expect(try may("\"connection reset\""))
        #expect(try may("\"connection missing absent\"/1"))
        #expect(try !may("\"connection missing absent\"/2"))
        #expect(try may("miss*"))
        #expect(try may("*issing"))
        #expect(try !may("(disk | missing) absent"))
        #expect(try may("(disk | missing) full"))
    }

    /// A search drops the segments without a rare word it needs before anything else, in
    /// order; a word the newest segments all have is common, and every segment stays (each is
    /// probed only if the search reaches it).
    @Test func aRareWordDropsTheSegmentsWithoutIt() throws {
        var segments: [SegmentSnapshot] = []
        for k in 0..<20 {
            let line = k == 3 || k == 17 ? "common needle-\(k % 2)" : "common filler \(k)"
            let r = try Self.segment([(line, "{}")])
            segments.append(SegmentSnapshot(reader: r, deleted: DeletionSet(docCount: r.docCount)))
        }
        func kept(_ q: String) throws -> [Int] {
            let picked = WordRequirement(try QueryParser.parse(q)).segments(segments)
            return picked.map { p in segments.firstIndex { $0.reader === p.reader }! }
        }
        #expect(try kept("needle-1") == [3, 17])
        #expect(try kept("needle-1 common") == [3, 17])
        #expect(try kept("\"common needle-1\"") == [3, 17])
        #expect(try kept("absent").isEmpty)
        #expect(try kept("common") == Array(0..<20))
        // Requirements other than words all required are left to each segment's own probe.
        #expect(try kept("needle-1 | absent") == Array(0..<20))
        #expect(try kept("need*") == Array(0..<20))
    }

    @Test func aDeepQueryRequiresNothingPastTheLimit() {
        var q = TextQuery.term("missing", fields: .all, match: .exact)
        for _ in 0..<(WordRequirement.maxDepth + 5) { q = .and([q]) }
        #expect(WordRequirement(q) == .none)
    }
}
