import Foundation
import Testing

@testable import AlcoIndex

/// js values in front-coded blocks with few docs' lists inline: every value is found by
/// its bytes and by its rank, with exactly the docs that have it, on both sides of block
/// and inline-list boundaries; absent values are not found; damaged bytes never read as
/// another value or crash.
@Suite struct AttributeValueBlocksTests {
    /// Values that share long prefixes (request ids), that are prefixes of one another, the
    /// empty one, multi-byte and long ones; doc counts from 1 to past the inline limit.
    static func documents() -> (docs: [Document], byValue: [String: [String: [UInt32]]]) {
        var rng = SeededRandom(seed: 11)
        var docs: [Document] = []
        var byValue: [String: [String: [UInt32]]] = [:]
        let requests = (0..<700).map { _ in "req-" + String(rng.next() % 0xFFFF_FFFF, radix: 16) }
        let nested = ["a", "ab", "abc", "abd", "b", "", "ä", "äb", "\u{1F600}", String(repeating: "x", count: 5000)]
        for i in 0..<6000 {
            // Skewed: a few requests have many lines, most have a handful.
            let r = requests[Int(rng.next() % 7 == 0 ? rng.next() % 20 : rng.next() % UInt64(requests.count))]
            let n = nested[i % 13 < nested.count ? i % 13 : i % nested.count]
            // Exactly 16 and 17 values: a full block and one value past it.
            let sixteen = "s\(i % 16)"
            let seventeen = "t\(i % 17)"
            var js: [String: String] = ["request": r, "nested": n, "sixteen": sixteen, "seventeen": seventeen]
            if i % 500 == 3 { js["rare"] = "only-\(i)" }
            let d = UInt32(docs.count)
            for (k, v) in js { byValue[k, default: [:]][v, default: []].append(d) }
            let text = try! String(decoding: JSONSerialization.data(withJSONObject: js, options: [.sortedKeys]), as: UTF8.self)
            docs.append(Document(id: UInt64(i + 1), logline: "line \(i)", js: text))
        }
        return (docs, byValue)
    }

    static func build(_ docs: [Document]) -> [UInt8] {
        let b = SegmentBuilder()
        for d in docs { b.add(d) }
        return b.finish()
    }

    @Test func everyValueIsFoundWithItsDocs() throws {
        let (docs, byValue) = Self.documents()
        let r = try SegmentReader(name: "t", storage: SegmentStorage(copying: Self.build(docs)))
        for (key, values) in byValue {
            let attr = try #require(r.attribute(key))
            #expect(attr.valueBlocks)
            #expect(attr.valueCount == values.count)
            let sorted = values.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            for (rank, value) in sorted.enumerated() {
                #expect(attr.value(rank) == value)
                #expect(attr.rank(of: value) == rank)
                let postings = try #require(attr.postings(rank))
                #expect(postings.docFreq == values[value]!.count)
                if case .inline = postings { #expect(postings.docFreq <= AttributeValueBlocks.inlineDocLimit) }
                #expect(try attr.postingList(for: value, segmentPostings: r.postings)?.allDocs() == values[value])
                #expect(try r.postingList(of: attr, value: value)?.allDocs() == values[value])
                // Absent neighbours: a byte past it, before it, and its prefix when absent.
                for absent in [value + "\u{0}", value + "~", String(value.dropLast())] where values[absent] == nil {
                    #expect(attr.rank(of: absent) == nil)
                }
            }
            #expect(attr.rank(of: "\u{0}") == nil && attr.rank(of: "\u{10FFFF}") == nil)
            #expect(attr.value(-1) == "" && attr.value(values.count) == "")
        }
        // Both kinds of list were written.
        let request = try #require(r.attribute("request"))
        let kinds = (0..<request.valueCount).compactMap { request.postings($0) }
        #expect(kinds.contains { if case .inline = $0 { return true } else { return false } })
        #expect(kinds.contains { if case .stored = $0 { return true } else { return false } })
        for d in stride(from: 0, to: docs.count, by: 37) {
            let js = try JSONSerialization.jsonObject(with: Data(docs[d].js.utf8)) as! [String: String]
            #expect(r.attribute("nested")?.displayValue(UInt32(d)) == js["nested"])
        }
    }

    /// Damage the section checksums cannot see: values read either as what was written or as
    /// nothing, lists as their docs or an error.
    @Test func damagedValuesReadTrueOrNothing() throws {
        let (docs, byValue) = Self.documents()
        let clean = Self.build(docs)
        let range = try clean.withUnsafeBytes { raw in
            try #require(try SegmentFileReader.tableOfContents(raw).first { $0.id == SegmentFormat.Section.attributeData.rawValue }).range
        }
        var rng = SeededRandom(seed: 5)
        for _ in 0..<40 {
            var bytes = clean
            for _ in 0..<4 { bytes[range.lowerBound + Int(rng.next() % UInt64(range.count))] ^= UInt8(1 + rng.next() % 255) }
            DocStoreTests.resealSection(SegmentFormat.Section.attributeData.rawValue, in: &bytes)
            guard let r = try? SegmentReader(name: "damaged", storage: SegmentStorage(copying: bytes), checkingPagesOnUse: false) else { continue }
            for (key, values) in byValue {
                guard let attr = r.attribute(key) else { continue }
                for rank in 0..<attr.valueCount {
                    let value = attr.value(rank)
                    _ = attr.rank(of: value)
                    guard let postings = attr.postings(rank) else { continue }
                    _ = try? attr.postingList(postings, segmentPostings: r.postings).allDocs()
                }
                for value in values.keys.prefix(50) { _ = try? attr.postingList(for: value, segmentPostings: r.postings)?.allDocs() }
            }
        }
        // With page checks, a damaged page reads as no value rather than a wrong one (or, for
        // a page opening checks, the segment does not open).
        var unread = 0
        for k in 1..<10 {
            var bytes = clean
            bytes[range.lowerBound + range.count * k / 10] ^= 0x41
            guard let r = try? SegmentReader(name: "damaged", storage: SegmentStorage(copying: bytes), checkingPagesOnUse: true) else { continue }
            for (key, values) in byValue {
                guard let attr = r.attribute(key) else { continue }
                for rank in 0..<attr.valueCount {
                    let value = attr.value(rank)
                    if value.isEmpty && values[""] == nil {
                        unread += 1
                    } else {
                        #expect(values[value] != nil)
                    }
                }
            }
        }
        #expect(unread > 0)
    }

    /// Request-id-like values with two docs each take under 20 bytes apiece besides the
    /// forward column (one offset and one list per value took 38: 4 + 19 + 4 + 11).
    @Test func requestIdsAreSmall() throws {
        var rng = SeededRandom(seed: 3)
        var docs: [Document] = []
        for i in 0..<20_000 {
            let id = "req-" + String(0x1000_0000 + rng.next() % 0xEFFF_FFFF, radix: 16) + "-" + String(0x1000 + rng.next() % 0xEFFF, radix: 16)
            for k in 0..<2 { docs.append(Document(id: UInt64(2 * i + k + 1), logline: "l", js: #"{"request_id":"\#(id)"}"#)) }
        }
        let bytes = Self.build(docs)
        let size = try bytes.withUnsafeBytes { raw in
            try #require(try SegmentFileReader.tableOfContents(raw).first { $0.id == SegmentFormat.Section.attributeData.rawValue }).range.count
        }
        // The forward column alone: 40,000 docs × 15 bits.
        let forward = 40_000 * 15 / 8
        #expect(size - forward < 20_000 * 20, "\(size) bytes")
    }
}
