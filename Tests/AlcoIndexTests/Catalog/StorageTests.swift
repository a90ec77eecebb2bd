import Foundation
import Testing

@testable import AlcoIndex

@Suite struct StorageTests {
    func build(_ docs: [Document]) throws -> SegmentReader {
        let b = SegmentBuilder()
        for d in docs { b.add(d) }
        return try SegmentReader(name: "t", storage: SegmentStorage(copying: b.finish()))
    }

    /// The CPU's CRC-32C instruction and the tables agree (the standard check value, and
    /// random data at every length and alignment, chained through seeds).
    @Test func crc32cInstructionAgreesWithTables() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        var rng = SystemRandomNumberGenerator()
        let data = (0..<300).map { _ in UInt8.random(in: 0...255, using: &rng) }
        data.withUnsafeBytes { all in
            for start in 0..<9 {
                for length in [0, 1, 7, 8, 9, 63, 200, 300 - start] {
                    let part = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    let seed = UInt32.random(in: 0...UInt32.max, using: &rng)
                    #expect(CRC32C.checksum(part, seed: seed) == CRC32C.software(part, seed: seed))
                }
            }
        }
    }

    /// Documents come back exactly from blocks compressed against the segment's dictionaries,
    /// fast (seal) and high (merge); a small segment has none.
    @Test(arguments: [StoreCompression.fast, .high])
    func docStoreWithDictionaryRoundTrips(_ compression: StoreCompression) throws {
        var rng = SystemRandomNumberGenerator()
        var docs: [Document] = []
        for i in 0..<8000 {
            let noise = (0..<Int.random(in: 0...12, using: &rng)).map { _ in String(UInt32.random(in: 0...UInt32.max, using: &rng), radix: 36) }
            docs.append(
                Document(
                    id: UInt64(10 + i), logline: "INFO worker-\(i % 17) handled request \(noise.joined(separator: " ")) in \(i % 997) ms ✓",
                    js: #"{"host":"web\#(i % 5)","seq":\#(i),"tags":["x"],"msg":"\#(noise.first ?? "")"}"#))
        }
        let b = SegmentBuilder(compression: compression)
        for d in docs { b.add(d) }
        let r = try SegmentReader(name: "d", storage: SegmentStorage(copying: b.finish()))
        // A dictionary per column: loglines, then js texts.
        #expect(r.sectionSizes["docStoreDictionary"] == 2 * DocStoreWriter.dictionaryBytes)
        let cache = DocStoreCache(sharing: false)
        for (k, d) in docs.enumerated() { #expect(try r.document(UInt32(k), cache: cache) == d) }

        let small = SegmentBuilder(compression: compression)
        for d in docs.prefix(50) { small.add(d) }
        let s = try SegmentReader(name: "s", storage: SegmentStorage(copying: small.finish()))
        #expect(s.sectionSizes["docStoreDictionary"] == nil)
        for (k, d) in docs.prefix(50).enumerated() { #expect(try s.document(UInt32(k)) == d) }
    }

    /// Packed ids read back exactly (time-like gaps, equal neighbours' widths of 0, a partial
    /// last block); a block spanning more than 56 bits leaves the segment with plain ids.
    @Test func idColumnPacksAndFallsBack() throws {
        var rng = SystemRandomNumberGenerator()
        var ids: [UInt64] = []
        var id: UInt64 = 1_795_168_800_000_000_000
        for k in 0..<10_000 {
            id += k % 1000 < 128 ? 1 : UInt64.random(in: 1...200_000_000, using: &rng)  // a run of gaps of 1, then µs gaps
            ids.append(id)
        }
        let section = try #require(IDColumn.pack(ids))
        #expect(section.count < ids.count * 5)
        try section.withUnsafeBytes { bytes in
            let column = try IDColumn.Reader(packed: bytes, docCount: ids.count, pages: nil)
            for (k, id) in ids.enumerated() { #expect(column.id(k) == id) }
        }
        #expect(IDColumn.pack([1, 1 << 60]) == nil)

        // Ids from timestamps (µs × 1000, a sequence number when lines share a µs) split at
        // the thousand: 10,000 lines ~95 ms apart take ~3 bytes an id, not ~4.4; blocks with
        // runs of one µs, and one with a sequence number of 999, come back exactly too.
        var stamped: [UInt64] = []
        var us: UInt64 = 1_795_168_800_000_000
        for k in 0..<10_000 {
            if k % 700 < 40 {
                stamped.append(us * 1000 + UInt64(k % 700 == 39 ? 999 : k % 700))
                continue
            }
            us += UInt64.random(in: 1...190_000, using: &rng)
            stamped.append(us * 1000)
        }
        let split = try #require(IDColumn.pack(stamped))
        #expect(split.count < stamped.count * 7 / 2)
        try split.withUnsafeBytes { bytes in
            let column = try IDColumn.Reader(packed: bytes, docCount: stamped.count, pages: nil)
            for (k, id) in stamped.enumerated() { #expect(column.id(k) == id) }
        }

        let far: [UInt64] = [5, 6, 1 << 60, (1 << 60) + 1]
        let b = SegmentBuilder()
        for id in far { b.add(Document(id: id, logline: "line \(id)", js: "{}")) }
        let r = try SegmentReader(name: "far", storage: SegmentStorage(copying: b.finish()))
        #expect(r.sectionSizes["ids"] == 32 && r.sectionSizes["packedIDs"] == nil)
        for (k, id) in far.enumerated() {
            #expect(r.id(UInt32(k)) == id)
            #expect(r.ordinal(of: id) == UInt32(k))
        }
    }

    /// The dictionary order from the radix sort equals sorting the bytes, for terms that tie
    /// on their first 12 bytes, are prefixes of one another, are empty, or hold 0 and high bytes.
    @Test func termOrderAgreesWithSortingBytes() {
        var rng = SystemRandomNumberGenerator()
        var table = TermTable()
        var seen = Set<[UInt8]>()
        var added: [[UInt8]] = []
        let stems: [[UInt8]] = [[], [0], Array("req-a3b1799d-1c".utf8), [0, 0, 0], Array("абв".utf8), [255, 1]]
        for _ in 0..<20_000 {
            var t = stems.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 0...14, using: &rng) {
                t.append([0, 1, 45, 97, 98, 122, 128, 208, 255].randomElement(using: &rng)!)
            }
            guard seen.insert(t).inserted else { continue }
            let id = t.withUnsafeBytes { table.intern($0) }
            #expect(id == added.count)
            added.append(t)
        }
        let expected = added.indices.sorted { added[$0].lexicographicallyPrecedes(added[$1]) }
        #expect(table.sortedIDs() == expected)
    }

    /// The short copies and comparisons agree with copying and comparing byte by byte at every
    /// length around their 4-, 8- and 16-byte paths, with the difference at every place.
    @Test func shortBytesCopyAndCompareLikeBytes() {
        var rng = SystemRandomNumberGenerator()
        for n in 0...40 {
            let source = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var copied = [UInt8](repeating: 0xAA, count: n + 8)
            source.withUnsafeBytes { from in
                copied.withUnsafeMutableBytes { to in
                    if n > 0 { ShortBytes.copy(from.baseAddress!, to: to.baseAddress!, count: n) }
                }
            }
            #expect(Array(copied[0..<n]) == source && copied[n...].allSatisfy { $0 == 0xAA }, "copy of \(n)")
            for k in 0..<max(n, 1) {
                var other = source
                if n > 0 { other[k] ^= 1 << UInt8(k % 8) }
                let equal = source.withUnsafeBytes { x in
                    other.withUnsafeBytes { y in ShortBytes.equal(x.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, y.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, count: n) }
                }
                #expect(equal == (source == other), "compare of \(n), byte \(k)")
            }
        }
    }

    /// A term seen once in a segment is written from its pool record directly; any term seen
    /// again (in its doc or another) is not taken for one, and large docs and positions (five
    /// varint bytes each) still fit its first slice.
    @Test func onlyOccurrenceIsReadFromThePoolDirectly() {
        var pool = PostingsPool(expectedBytes: 1024)
        for _ in 0..<5 { pool.addTerm() }
        pool.add(term: 0, doc: 3, position: 7)
        pool.add(term: 1, doc: 4, position: 1)
        pool.add(term: 1, doc: 4, position: 9)
        pool.add(term: 2, doc: 4, position: 2)
        pool.add(term: 2, doc: 5, position: 2)
        pool.add(term: 3, doc: UInt32.max - 1, position: UInt32.max)
        #expect(pool.onlyOccurrence(0).map { [$0.doc, $0.position] } == [3, 7])
        #expect(pool.onlyOccurrence(1) == nil)
        #expect(pool.onlyOccurrence(2) == nil)
        #expect(pool.onlyOccurrence(3).map { [$0.doc, $0.position] } == [UInt32.max - 1, UInt32.max])
        #expect(pool.onlyOccurrence(4) == nil)
        var decoded = DecodedPostings()
        pool.decode(3, into: &decoded)
        #expect(Array(decoded.docs.buffer) == [UInt32.max - 1] && Array(decoded.positions.buffer) == [UInt32.max])
    }

    /// A posting list as the tests describe it: docs ascending, each with its positions.
    struct ListSpec {
        var docs: [UInt32]
        var positions: [[UInt32]]?
    }

    static func randomList(count: Int, maxGap: UInt32, positions: Int?, rng: inout some RandomNumberGenerator) -> ListSpec {
        var docs: [UInt32] = []
        var doc = UInt32.random(in: 0...maxGap, using: &rng)
        for _ in 0..<count {
            docs.append(doc)
            doc += UInt32.random(in: 1...max(1, maxGap), using: &rng)
        }
        guard let positions else { return ListSpec(docs: docs, positions: nil) }
        let constant = UInt32.random(in: 0...300, using: &rng)
        let lists: [[UInt32]] = docs.map { _ in
            if positions == 0 { return [constant] }  // a js value: same place in every doc
            let n = Int.random(in: 1...4, using: &rng)
            return (0..<n).map { _ in UInt32.random(in: 0...UInt32(positions), using: &rng) }.sorted().reduce(into: []) {
                if $0.last != $1 { $0.append($1) }
            }
        }
        return ListSpec(docs: docs, positions: lists)
    }

    /// Writes `spec` as lists were written before bit packing (format 1), to check they are
    /// still read: varint doc deltas, frequencies and position gaps per block of 128.
    static func writeVarintList(_ spec: ListSpec, to out: inout ByteWriter) {
        let n = spec.docs.count
        let blocks = stride(from: 0, to: n, by: 128).map { $0..<min(n, $0 + 128) }
        out.varint(n)
        out.varint(spec.positions == nil ? 0 : 1)
        out.varint(blocks.count)
        var bodies: [(docs: ByteWriter, pos: ByteWriter)] = []
        var prevLast: UInt32 = 0
        for range in blocks {
            var d = ByteWriter()
            var p = ByteWriter()
            for i in range { d.varint(i == 0 ? spec.docs[0] : spec.docs[i] - spec.docs[i - 1]) }
            if let positions = spec.positions {
                for i in range { d.varint(positions[i].count) }
                for i in range {
                    var prev: UInt32 = 0
                    for q in positions[i] { p.varint(q - prev); prev = q }
                }
            }
            out.varint(spec.docs[range.upperBound - 1] - prevLast)
            prevLast = spec.docs[range.upperBound - 1]
            out.varint(d.count)
            out.varint(p.count)
            bodies.append((d, p))
        }
        for (d, p) in bodies { out.append(contentsOf: d.bytes); out.append(contentsOf: p.bytes) }
    }

    /// Every reading of a list agrees with what was written, for lists of every shape:
    /// one doc, partial and full blocks, dense (gaps of 1: no bits) and sparse docs, js-like
    /// constant positions and scattered ones, without positions, and in the (headed) varint
    /// layout of format 1.
    @Test func postingListsRoundTripAtEveryShape() throws {
        var rng = SystemRandomNumberGenerator()
        var specs: [ListSpec] = []
        for count in [1, 2, 3, 127, 128, 129, 255, 256, 1000] {
            for maxGap: UInt32 in [1, 40, 1 << 20] {
                for positions: Int? in [nil, 0, 50, 70_000] {
                    specs.append(Self.randomList(count: count, maxGap: maxGap, positions: positions, rng: &rng))
                }
            }
        }
        var out = ByteWriter()
        var writer = PostingsWriter()
        var offsets: [(offset: Int, packed: Bool)] = []
        for (k, spec) in specs.enumerated() {
            let packed = k % 5 != 0
            offsets.append((out.count, packed))
            guard packed else {
                Self.writeVarintList(spec, to: &out)
                continue
            }
            let flat = spec.positions?.flatMap { $0 } ?? []
            var starts = [0]
            for p in spec.positions ?? [] { starts.append(starts.last! + p.count) }
            spec.docs.withUnsafeBufferPointer { docs in
                flat.withUnsafeBufferPointer { pos in
                    starts.withUnsafeBufferPointer { st in
                        writer.write(
                            docs: docs, positions: spec.positions == nil ? nil : pos,
                            starts: spec.positions == nil ? nil : st, to: &out)
                    }
                }
            }
        }
        try out.bytes.withUnsafeBytes { bytes in
            for (spec, at) in zip(specs, offsets) {
                // Packed lists are written as from format 7, without a head: the entry says.
                let shape = at.packed ? PostingList.Shape(docFreq: spec.docs.count, hasPositions: spec.positions != nil) : nil
                let list = try PostingList(bytes: bytes, offset: at.offset, shape: shape)
                #expect(list.docFreq == spec.docs.count)
                #expect(list.allDocs() == spec.docs)
                let all = list.docsWithFrequencies(in: 0..<UInt32.max)
                #expect(all.map(\.doc) == spec.docs)
                #expect(all.map(\.freq) == spec.docs.indices.map { UInt32(spec.positions?[$0].count ?? 1) })
                if let positions = spec.positions {
                    let wanted = spec.docs.enumerated().filter { $0.offset % 3 != 1 }
                    let got = list.positions(of: wanted.map(\.element) + [spec.docs.last! + 1])
                    #expect(got.count == wanted.count + 1)
                    #expect((0..<wanted.count).map { Array(got[$0]) } == wanted.map { positions[$0.offset] })
                    #expect(got[wanted.count].isEmpty)
                }
                for _ in 0..<5 {
                    let a = UInt32.random(in: 0...spec.docs.last! + 1, using: &rng)
                    let b = UInt32.random(in: a...spec.docs.last! + 2, using: &rng)
                    let expected = spec.docs.filter { (a..<b).contains($0) }
                    #expect(list.count(in: a..<b) == expected.count)
                    var window: [UInt32] = []
                    list.docs(in: a..<b, into: &window)
                    #expect(window == expected)
                }
            }
        }
    }

    @Test func segmentRoundTrip() throws {
        var docs: [Document] = []
        for i in 0..<3000 {
            docs.append(
                Document(
                    id: UInt64(1000 + i * 3), logline: "line \(i) word\(i % 7) shared",
                    js: #"{"host":"h\#(i % 3)","n":\#(i),"tags":["a","b\#(i % 2)"]}"#))
        }
        let r = try build(docs)
        #expect(r.docCount == 3000)
        #expect(r.minID == 1000 && r.maxID == UInt64(1000 + 2999 * 3))
        for i in stride(from: 0, to: 3000, by: 97) {
            #expect(try r.document(UInt32(i)) == docs[i])
            #expect(r.ordinal(of: docs[i].id) == UInt32(i))
        }
        #expect(r.ordinal(of: 1001) == nil)
        let shared = try #require(r.lookup([0] + Array("shared".utf8)))
        #expect(shared.docFreq == 3000)
        let list = try r.postingList(shared)
        #expect(list.allDocs() == (0..<3000).map(UInt32.init))
        var window: [UInt32] = []
        list.docs(in: 1500..<1503, into: &window)
        #expect(window == [1500, 1501, 1502])
        let w3 = try #require(r.lookup([0] + Array("word3".utf8)))
        #expect(try r.postingList(w3).allDocs() == (0..<3000).filter { $0 % 7 == 3 }.map(UInt32.init))
        let host = try #require(r.attribute("host"))
        #expect(host.valueCount == 3)
        #expect(try host.postingList(for: "h1", segmentPostings: r.postings)?.docFreq == 1000)
        #expect(host.value(Int(host.forward(4)) - 1) == "h1")
        #expect(r.attribute("n")?.number(42) == 42)
        #expect(try r.attribute("tags")?.postingList(for: "a", segmentPostings: r.postings)?.docFreq == 3000)
        var prefixed: [String] = []
        r.terms(field: 0, prefix: Array("word".utf8)) { t, _ in prefixed.append(String(decoding: t, as: UTF8.self)) }
        #expect(prefixed == (0..<7).map { "word\($0)" })
    }

    /// A word in both fields: the stored any-field count, block-header counts and the bitmap
    /// union all agree with counting by hand, over the whole segment and inside ranges.
    @Test func wordCountsOverSeveralFieldsAgreeWithBruteForce() throws {
        var docs: [Document] = []
        var hasAlpha: [Bool] = []
        for i in 0..<5000 {
            let inLine = i % 3 != 0
            let inJS = i % 5 == 0 || i >= 4000
            hasAlpha.append(inLine || inJS)
            docs.append(
                Document(
                    id: UInt64(10 + i), logline: "x\(i) \(inLine ? "alpha " : "")for block b\(i % 11)",
                    js: #"{"tag":"\#(inJS ? "alpha" : "beta")","n":\#(i)}"#))
        }
        let r = try build(docs)
        let expected = hasAlpha.filter { $0 }.count
        #expect(r.docFreqInAnyField(Array("alpha".utf8)) == expected)
        #expect(r.docFreqInAnyField(Array("beta".utf8)) == nil, "only in js: nothing to store")
        let planner = SegmentPlanner(segment: r, cache: DocStoreCache())
        let set = try planner.termSet("alpha", fields: [0, 1], match: .exact)
        let size = UInt32(r.docCount)
        #expect(try set.count(0..<size, segmentSize: size) == expected)
        for range in [UInt32(0)..<1, 17..<900, 129..<4097, 3000..<5000, 4999..<5000] {
            let want = range.filter { hasAlpha[Int($0)] }.count
            #expect(try set.count(range, segmentSize: size) == want, "\(range)")
            #expect(try set.docs(range).count == want)
        }
        let line = try r.postingList(try #require(r.lookup([0] + Array("alpha".utf8))))
        for range in [UInt32(0)..<5000, 1..<4096, 128..<256, 300..<301] {
            #expect(line.count(in: range) == range.filter { $0 % 3 != 0 }.count)
        }
        // Positions only for the docs asked, empty for docs without the word.
        let wanted: [UInt32] = [0, 1, 2, 3000, 4001, 4998]
        let positions = line.positions(of: wanted)
        #expect(positions.count == wanted.count)
        #expect((0..<positions.count).map { positions[$0].isEmpty } == wanted.map { $0 % 3 == 0 })
        #expect(Array(positions[1]) == [1])
        let phrase = try planner.plan(.phrase(["for", "block"], fields: .all, proximity: nil))
        #expect(try phrase.docs(0..<size).count == 5000)
    }

    /// Infix and suffix look-ups that skip dictionary blocks by their gram filters list the
    /// same terms as testing every term; a substring inside a word needs no stored line and
    /// still finds matches that straddle a word cut at the token limit.
    @Test func infixLookupsAgreeWithScanningEveryTerm() throws {
        var docs: [Document] = []
        var rng = SeededRandom(seed: 7)
        for i in 0..<4000 {
            let block = "blk_-\(rng.next() % 10_000_000_000)"
            docs.append(
                Document(
                    id: UInt64(100 + i), logline: "Receiving \(block) src /10.250.\(i % 250).\(i % 7):50010 x\(i)",
                    js: #"{"host":"web\#(i % 9)"}"#))
        }
        let long = String(repeating: "a", count: Tokenizer.maxTokenBytes - 2) + "zq9" + String(repeating: "b", count: 40)
        docs.append(Document(id: 100_000, logline: "cut " + long, js: "{}"))
        let r = try build(docs)
        for needle in ["lk_-69", "69", "10.250.1", "_-1234", "0010", "zq9", "web", "nothing-here", "q", "250."] {
            let bytes = Array(needle.utf8)
            var viaFilter: [String] = []
            r.terms(field: 0, containing: bytes, includingCutWords: true) { t, _ in
                if findBytes(t.baseAddress, t.count, bytes, bytes.count) { viaFilter.append(String(decoding: t, as: UTF8.self)) }
            }
            var everyTerm: [String] = []
            r.allTerms(field: 0) { t, _ in
                if findBytes(t.baseAddress, t.count, bytes, bytes.count) { everyTerm.append(String(decoding: t, as: UTF8.self)) }
            }
            #expect(viaFilter == everyTerm, "\(needle)")
            var suffixes: [String] = []
            r.terms(field: 0, containing: bytes, suffixOnly: true) { t, _ in suffixes.append(String(decoding: t, as: UTF8.self)) }
            #expect(suffixes == everyTerm.filter { $0.hasSuffix(needle) }, "\(needle)")
        }
        let planner = SegmentPlanner(segment: r, cache: DocStoreCache())
        let size = UInt32(r.docCount)
        for needle in ["lk_-69", "aazq9bb", "LK_-1", "0.250.3"] {
            let want = docs.indices.filter { Tokenizer.fold(docs[$0].logline).contains(Tokenizer.fold(needle)) }.map(UInt32.init)
            let got = try planner.plan(.substring(needle, caseSensitive: false)).docs(0..<size)
            #expect(got == want, "\(needle)")
        }
        // Regexes that match within one word go through the dictionary; the others scan.
        for (pattern, oneWord) in [
            ("blk_-6[0-9]{2}5", true), ("BLK_-(12|34)[0-9]+", true), ("aa[z]q9b", true),
            ("blk_-69.*50010", false), ("^Receiving blk_-1", false), ("10\\.250\\.1[0-9]", true),
        ] {
            #expect(RegexLiterals.matchesWithinOneWord(pattern) == oneWord, "\(pattern)")
            for caseSensitive in [true, false] {
                let m = try RegexMatcher(pattern, caseSensitive: caseSensitive)
                let want = docs.indices.filter { m.matches(docs[$0].logline) }.map(UInt32.init)
                let got = try planner.plan(.regex(pattern, caseSensitive: caseSensitive)).docs(0..<size)
                #expect(got == want, "\(pattern) caseSensitive=\(caseSensitive)")
            }
        }
    }

    @Test func corruptSegmentIsReportedByName() throws {
        let b = SegmentBuilder()
        b.add(Document(id: 1, logline: "hello world", js: "{}"))
        var bytes = b.finish()
        bytes[20] ^= 0xff
        #expect(throws: AlcoError.self) {
            _ = try SegmentReader(name: "20251125-00000001", storage: SegmentStorage(copying: bytes))
        }
        do {
            _ = try SegmentReader(name: "20251125-00000001", storage: SegmentStorage(copying: bytes))
        } catch let AlcoError.corruptSegment(name, _) {
            #expect(name == "20251125-00000001")
        }
    }

    @Test func tornWALTailIsCutAndReported() throws {
        let dir = TemporaryDirectory()
        do {
            let catalog = try Catalog(directory: dir.path, options: testOptions())
            let index = try catalog.createIndex(IndexSettings(name: "w"))
            for k in 0..<5 { try index.append([doc("batch \(k)", at: day1 + Int64(k))]) }
            catalog.abandon()
        }
        let walDir = dir.path + "/indexes/w/wal"
        let file = walDir + "/" + FileSystem.list(walDir)[0]
        var bytes = try FileSystem.readAll(file)
        bytes.removeLast(7)  // a torn final record
        try FileSystem.writeAtomically(file, bytes)
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.index("w")
        let r = try index.search(SearchRequest(text: .term("batch", fields: .all, match: .exact), countTotal: true))
        #expect(r.totalFound == 4)
        #expect(index.problems.contains { $0.contains("torn record") })
        try catalog.close()
    }

    /// A source's mark is durable with its batch: after a crash (WAL replay), after a flush
    /// (the manifest holds it once the WAL files are gone), and a torn record takes its mark
    /// and its documents alike.
    @Test func sourceMarksAreDurableWithTheirBatch() throws {
        let dir = TemporaryDirectory()
        do {
            let catalog = try Catalog(directory: dir.path, options: testOptions())
            let index = try catalog.createIndex(IndexSettings(name: "m"))
            try index.append([doc("first", at: day1)], mark: SourceMark(key: "watch:a", value: "1"))
            try index.append([], mark: SourceMark(key: "watch:b", value: "only a mark"))
            #expect(throws: AlcoError.self) { try index.append([doc("x", at: day1)], mode: .replace, mark: SourceMark(key: "k", value: "v")) }
            catalog.abandon()
        }
        do {
            let catalog = try Catalog(directory: dir.path, options: testOptions())
            let index = try catalog.index("m")
            #expect(index.sourceMark("watch:a") == "1")
            #expect(index.sourceMark("watch:b") == "only a mark")
            try index.flush()
            // Set after the flush: only in the WAL.
            try index.append([doc("second", at: day1 + 1)], mark: SourceMark(key: "watch:a", value: "2"))
            catalog.abandon()
        }
        do {
            let catalog = try Catalog(directory: dir.path, options: testOptions())
            let index = try catalog.index("m")
            #expect(index.sourceMark("watch:a") == "2")
            #expect(index.sourceMarkKeys == ["watch:a", "watch:b"])
            try index.flush()
            try index.append([doc("third", at: day1 + 2)], mark: SourceMark(key: "watch:a", value: "3"))
            catalog.abandon()
        }
        // The last record torn: its document and its mark are gone together.
        let walDir = dir.path + "/indexes/m/wal"
        let file = walDir + "/" + FileSystem.list(walDir).sorted().last!
        var bytes = try FileSystem.readAll(file)
        bytes.removeLast(3)
        try FileSystem.writeAtomically(file, bytes)
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.index("m")
        #expect(index.sourceMark("watch:a") == "2")
        let r = try index.search(SearchRequest(text: .term("third", fields: .all, match: .exact), countTotal: true))
        #expect(r.totalFound == 0)
        try catalog.close()
    }

    @Test func corruptSegmentIsQuarantinedNotServed() throws {
        let dir = TemporaryDirectory()
        do {
            let catalog = try Catalog(directory: dir.path, options: testOptions())
            let index = try catalog.createIndex(IndexSettings(name: "c"))
            try index.append([doc("hello", at: day1)])
            try catalog.close()
        }
        let segDir = dir.path + "/indexes/c/segments"
        let seg = segDir + "/" + FileSystem.list(segDir).first { $0.hasSuffix(".seg") }!
        var bytes = try FileSystem.readAll(seg)
        bytes[8] ^= 0x55  // the first section's first byte (alignment padding is not checksummed)
        try FileSystem.writeAtomically(seg, bytes)
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.index("c")
        #expect(index.problems.contains { $0.contains("was not loaded") })
        #expect(try index.search(SearchRequest(countTotal: true)).totalFound == 0)
        #expect(FileSystem.list(dir.path + "/indexes/c/quarantine").count == 1)
        try catalog.close()
    }

    @Test func secondProcessIsRefused() throws {
        let dir = TemporaryDirectory()
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        #expect(throws: AlcoError.self) { _ = try Catalog(directory: dir.path, options: testOptions()) }
        try catalog.close()
    }
}

@Suite struct SnippetTests {
    @Test func wrapsHits() throws {
        let h = Highlighter(try QueryParser.parse("block blk_38*"))
        var o = SnippetOptions()
        o.limit = 0
        #expect(Snippet.make("for block blk_3886 done", highlighter: h, options: o) == "for <b>block</b> <b>blk_3886</b> done")
    }

    @Test func passagesWhenLong() throws {
        let words = (0..<200).map { "w\($0)" }
        let text = words.joined(separator: " ")
        var o = SnippetOptions()
        o.limit = 60
        o.around = 2
        let s = Snippet.make(text, highlighter: Highlighter(try QueryParser.parse("w100")), options: o)
        // As Sphinx: the passage keeps the separator before its first word.
        #expect(s == " ...  w98 w99 <b>w100</b> w101 w102 ... ")
        // A limit tighter than `around` words takes words after the match first, then before.
        o.limit = 14
        o.around = 5
        #expect(Snippet.make(text, highlighter: Highlighter(try QueryParser.parse("w100")), options: o) == " ...  w99 <b>w100</b> w101 ... ")
    }

    @Test func substringHighlight() {
        var o = SnippetOptions()
        o.limit = 0
        let s = Snippet.make("Receiving blk_-1608999", highlighter: Highlighter(.substring("K_-16", caseSensitive: false)), options: o)
        #expect(s == "Receiving bl<b>k_-16</b>08999")
    }
}
