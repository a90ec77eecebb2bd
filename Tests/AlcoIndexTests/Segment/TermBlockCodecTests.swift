import Testing

@testable import AlcoIndex

/// Dictionary entries with a head byte (format 7): every shape of entry reads back as written,
/// the escapes included (shared 15 and more, suffixes of 0 or over 7 bytes), and a segment
/// whose words need each shape finds every word by look-up, by walk and by infix.
@Suite struct TermBlockCodecTests {
    @Test func everyHeadReadsBackAsWritten() {
        var rng = SeededRandom(seed: 7)
        var data = ByteWriter()
        var written: [(shared: Int, suffix: [UInt8], docFreq: Int)] = []
        let sharedCases = [0, 1, 14, 15, 16, 127, 128, 300]
        let suffixCases = [0, 1, 7, 8, 127, 128, 1000]
        let docFreqCases = [1, 2, 127, 128, 1 << 20]
        for shared in sharedCases {
            for suffixLength in suffixCases {
                for docFreq in docFreqCases {
                    let suffix = (0..<suffixLength).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                    let term = [UInt8](repeating: 0x61, count: shared) + suffix
                    term.withUnsafeBytes {
                        TermBlockCodec.writeEntryHead(term: $0, shared: shared, docFreq: docFreq, to: &data)
                    }
                    // A reference follows every entry: a byte here.
                    data.u8(0x2a)
                    written.append((shared, suffix, docFreq))
                }
            }
        }
        let bytes = data.take()
        bytes.withUnsafeBufferPointer { b in
            var i = 0
            for w in written {
                guard let head = TermBlockCodec.readEntryHead(b.baseAddress!, &i, end: b.count, compact: true) else {
                    Issue.record("entry \(w.shared)/\(w.suffix.count)/\(w.docFreq) did not read")
                    return
                }
                #expect(head.shared == w.shared)
                #expect(head.suffixLength == w.suffix.count)
                #expect(Array(b[head.suffixAt..<(head.suffixAt + head.suffixLength)]) == w.suffix)
                #expect(head.docFreq == w.docFreq)
                #expect(b[i] == 0x2a)
                i += 1
            }
            #expect(i == b.count)
        }
        // One byte for the commonest entry: a one-document number one digit past the last.
        var one = ByteWriter()
        Array("\u{0}12345".utf8).withUnsafeBytes { TermBlockCodec.writeEntryHead(term: $0, shared: 5, docFreq: 1, to: &one) }
        #expect(one.count == 2)
    }

    /// An entry cut short anywhere reads as nothing rather than past its block.
    @Test func aTruncatedEntryReadsAsNothing() {
        var data = ByteWriter()
        let term = [UInt8](repeating: 0x62, count: 40)
        term.withUnsafeBytes { TermBlockCodec.writeEntryHead(term: $0, shared: 20, docFreq: 300, to: &data) }
        let bytes = data.take()
        bytes.withUnsafeBufferPointer { b in
            for end in 0..<b.count {
                var i = 0
                #expect(TermBlockCodec.readEntryHead(b.baseAddress!, &i, end: end, compact: true) == nil, "end \(end)")
            }
        }
    }

    @Test func aSegmentFindsWordsOfEveryEntryShape() throws {
        let builder = SegmentBuilder()
        let long = String(repeating: "x", count: 600)
        var lines: [String] = []
        for k in 0..<3000 {
            // Numbers counting up (shared prefixes, 1-byte suffixes), long shared prefixes,
            // long suffixes, and a word repeated in one line (one document, many positions).
            lines.append("n\(100_000 + k) prefix-shared-by-many-words-\(k) \(long)\(k) common")
        }
        lines.append("solo solo solo solo unique-\(long)")
        for (k, line) in lines.enumerated() { builder.add(Document(id: UInt64(k + 1), logline: line, js: "{}")) }
        let reader = try SegmentReader(name: "s", storage: SegmentStorage(copying: builder.finish()), checkingPagesOnUse: true)
        #expect(reader.formatVersion == SegmentFormat.version)
        #expect(reader.dictionary.compactEntries)
        func key(_ w: String) -> [UInt8] { [SegmentFormat.Field.logline] + Array(w.utf8) }
        for k in stride(from: 0, to: 3000, by: 37) {
            #expect(reader.lookup(key("n\(100_000 + k)"))?.docFreq == 1)
            #expect(reader.lookup(key("prefix-shared-by-many-words-\(k)"))?.docFreq == 1)
            #expect(reader.lookup(key("\(long)\(k)"))?.docFreq == 1)
        }
        #expect(reader.lookup(key("common"))?.docFreq == 3000)
        let solo = try #require(reader.lookup(key("solo")))
        #expect(solo.docFreq == 1 && solo.inline)
        let list = try reader.postingList(solo)
        #expect(list.allDocs() == [3000])
        #expect(reader.lookup(key("n99999")) == nil)

        // The walk a merge makes sees every term once, in order.
        var cursor = TermCursor(reader.dictionary)
        var walked: [[UInt8]] = []
        while cursor.next() { walked.append(cursor.term) }
        #expect(!cursor.failed)
        #expect(walked.count == reader.termCount)
        #expect(zip(walked, walked.dropFirst()).allSatisfy { $0.0.lexicographicallyPrecedes($0.1) })
        #expect(walked.contains(key("solo")))

        var containing = 0
        reader.terms(field: SegmentFormat.Field.logline, containing: Array("words-29".utf8)) { _, _ in containing += 1 }
        #expect(containing == (0..<3000).filter { "prefix-shared-by-many-words-\($0)".contains("words-29") }.count)
    }
}
