import Foundation
import Testing

@testable import AlcoIndex

/// The doc store's zstd columns: documents of every shape come back exactly, and damaged
/// bytes are errors, never a crash or a wrong document.
@Suite struct DocStoreTests {
    /// Empty loglines and js texts, a megabyte line (a block of its own), multi-byte text and
    /// runs of near-identical lines, on both sides of the dictionaries being chosen.
    static func awkwardDocuments() -> [(logline: String, js: String)] {
        var docs: [(String, String)] = []
        var rng = SeededRandom(seed: 7)
        for i in 0..<12_000 {
            switch i % 1000 {
            case 17: docs.append(("", ""))
            case 18: docs.append(("only a line", ""))
            case 19: docs.append(("", #"{"only":"js"}"#))
            case 500 where i == 6500: docs.append((String(repeating: "megabyte line ", count: 75_000), #"{"big":true}"#))
            default:
                let word = String(rng.next() % 1_000_000, radix: 36)
                docs.append(("GET /api/v1/items/\(word) 200 \(i % 97) ms — ✓ привет", #"{"host":"web\#(i % 4)","request":"\#(word)","n":\#(i)}"#))
            }
        }
        return docs
    }

    func store(_ docs: [(logline: String, js: String)], _ compression: StoreCompression) -> (index: [UInt8], data: [UInt8], dictionary: [UInt8]) {
        var w = DocStoreWriter(compression: compression)
        for d in docs { w.add(logline: d.logline, js: d.js) }
        return w.finish()
    }

    @Test(arguments: [StoreCompression.fast, .interim, .high])
    func awkwardDocumentsRoundTrip(_ compression: StoreCompression) throws {
        let docs = Self.awkwardDocuments()
        let parts = store(docs, compression)
        #expect(parts.dictionary.count == 2 * DocStoreWriter.dictionaryBytes)
        try parts.index.withUnsafeBytes { index in
            try parts.data.withUnsafeBytes { data in
                try parts.dictionary.withUnsafeBytes { dictionary in
                    let r = try DocStoreReader(index: index, data: data, dictionary: dictionary, docCount: docs.count, pages: nil)
                    #expect(r.layout == .zstdColumns)
                    // The level is recorded: background merges compress interim segments again.
                    #expect(r.level == Int(DocStoreWriter.level(compression)))
                    let cache = DocStoreCache(sharing: false)
                    // Backwards too: a reader pages from the newest line.
                    for k in docs.indices.reversed() {
                        let got = try r.fields(k, cache: cache, segment: 1)
                        #expect(got.logline == docs[k].logline && got.js == docs[k].js)
                    }
                    #expect(throws: DecodeError.self) { try r.fields(docs.count, cache: nil, segment: 1) }
                }
            }
        }
        // Each column compresses apart: far below the raw bytes.
        let raw = docs.reduce(0) { $0 + $1.logline.utf8.count + $1.js.utf8.count }
        #expect(parts.data.count < raw / 4)
    }

    /// A merge that expects a large segment gets the larger dictionaries, and they pay: the
    /// same documents take fewer bytes, dictionaries included.
    @Test func largeSegmentsGetLargerDictionaries() throws {
        let docs = Self.awkwardDocuments().filter { $0.logline.utf8.count < 1000 }
        let plain = store(docs, .high)
        var w = DocStoreWriter(compression: .high, expectedBytes: DocStoreWriter.largeSegmentBytes)
        for d in docs { w.add(logline: d.logline, js: d.js) }
        let large = w.finish()
        #expect(large.dictionary.count == 2 * DocStoreWriter.largeDictionaryBytes)
        #expect(large.data.count < plain.data.count)
        try large.index.withUnsafeBytes { index in
            try large.data.withUnsafeBytes { data in
                try large.dictionary.withUnsafeBytes { dictionary in
                    let r = try DocStoreReader(index: index, data: data, dictionary: dictionary, docCount: docs.count, pages: nil)
                    // Each string behind its length varint (all shorter than 16 KiB here).
                    let framed = { (n: Int) in n + (n < 128 ? 1 : 2) }
                    #expect(try r.storedBytes() == docs.reduce(0) { $0 + framed($1.logline.utf8.count) + framed($1.js.utf8.count) })
                    for k in stride(from: 0, to: docs.count, by: 3) {
                        let got = try r.fields(k, cache: nil, segment: 4)
                        #expect(got.logline == docs[k].logline && got.js == docs[k].js)
                    }
                }
            }
        }
    }

    /// In a segment read without page checks, a damaged block is the segment's damage (so
    /// the index takes it out of service), and the other blocks still read true.
    @Test func aDamagedBlockIsTheSegmentsDamage() throws {
        let docs = Array(Self.awkwardDocuments().prefix(6000))
        let b = SegmentBuilder()
        for (k, d) in docs.enumerated() { b.add(Document(id: UInt64(k + 1), logline: d.logline, js: d.js)) }
        var bytes = b.finish()
        let range = try bytes.withUnsafeBytes { raw in
            try #require(try SegmentFileReader.tableOfContents(raw).first { $0.id == SegmentFormat.Section.docStoreData.rawValue }).range
        }
        bytes[range.lowerBound + range.count / 2] ^= 0x5A
        Self.resealSection(SegmentFormat.Section.docStoreData.rawValue, in: &bytes)
        let r = try SegmentReader(name: "damaged", storage: SegmentStorage(copying: bytes), checkingPagesOnUse: false)
        var failures = 0
        for (k, d) in docs.enumerated() {
            do {
                let got = try r.document(UInt32(k))
                #expect(got.logline == d.logline && got.js == d.js)
            } catch AlcoError.corruptSegment(let name, let reason) {
                #expect(name == "damaged" && reason.hasPrefix("doc store:"))
                failures += 1
            }
        }
        #expect(failures > 0 && failures < docs.count / 4)
    }

    /// Damage the section checksums cannot see: the table of contents (and its own checksum
    /// in the trailer) rewritten for a section's new bytes.
    static func resealSection(_ id: UInt32, in bytes: inout [UInt8]) {
        func u32(_ at: Int) -> UInt32 { bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian } }
        func u64(_ at: Int) -> Int { Int(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian }) }
        func put(_ v: UInt32, _ at: Int) { withUnsafeBytes(of: v.littleEndian) { for i in 0..<4 { bytes[at + i] = $0[i] } } }
        let trailer = bytes.count - SegmentFormat.trailerSize
        let tocAt = u64(trailer)
        let tocLength = Int(u32(trailer + 8))
        for entry in stride(from: tocAt + 8, to: tocAt + tocLength, by: 24) where u32(entry) == id {
            let section = u64(entry + 8)..<(u64(entry + 8) + u64(entry + 16))
            put(bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[section])) }, entry + 4)
        }
        put(bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[tocAt..<(tocAt + tocLength)])) }, trailer + 12)
    }

    /// No block at all, and a store too small for dictionaries.
    @Test func emptyAndSmallStores() throws {
        for docs in [[], Array(Self.awkwardDocuments().prefix(40))] {
            let parts = store(docs, .fast)
            #expect(parts.dictionary.isEmpty)
            try parts.index.withUnsafeBytes { index in
                try parts.data.withUnsafeBytes { data in
                    let r = try DocStoreReader(index: index, data: data, dictionary: nil, docCount: docs.count, pages: nil)
                    for k in docs.indices {
                        let got = try r.fields(k, cache: nil, segment: 2)
                        #expect(got.logline == docs[k].logline && got.js == docs[k].js)
                    }
                }
            }
        }
    }

    /// Flipped bytes in the blocks, the index entries or the dictionaries (as where no page
    /// checksum covers them): every read either returns the document that was written or
    /// throws (the frames' checksums and sizes, the index's document counts).
    @Test func damagedStoresThrowOrReadTrue() throws {
        let docs = Array(Self.awkwardDocuments().prefix(4000))
        let clean = store(docs, .fast)
        var rng = SeededRandom(seed: 99)
        for round in 0..<60 {
            var parts = clean
            let flips = 1 + Int(rng.next() % 4)
            for _ in 0..<flips {
                switch round % 3 {
                case 0: parts.data[Int(rng.next() % UInt64(parts.data.count))] ^= UInt8(1 + rng.next() % 255)
                case 1: parts.index[16 + Int(rng.next() % UInt64(parts.index.count - 16))] ^= UInt8(1 + rng.next() % 255)
                default: parts.dictionary[Int(rng.next() % UInt64(parts.dictionary.count))] ^= UInt8(1 + rng.next() % 255)
                }
            }
            parts.index.withUnsafeBytes { index in
                parts.data.withUnsafeBytes { data in
                    parts.dictionary.withUnsafeBytes { dictionary in
                        guard let r = try? DocStoreReader(index: index, data: data, dictionary: dictionary, docCount: docs.count, pages: nil) else { return }
                        for k in stride(from: 0, to: docs.count, by: 7) {
                            guard let got = try? r.fields(k, cache: nil, segment: 3) else { continue }
                            #expect(got.logline == docs[k].logline && got.js == docs[k].js, "round \(round) doc \(k)")
                        }
                    }
                }
            }
        }
    }
}
