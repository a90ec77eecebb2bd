import Foundation
import Testing

@testable import AlcoIndex

/// A line's pattern is kept beside its js: logged with the document, a bit and an attribute in
/// the segment, and shown to readers as js's last member. The stored js is what was given; a
/// client's own `pattern` member stays in its js and is not taken for one the index gave.
@Suite struct PatternBesideDocumentTests {
    static func documents() -> [Document] {
        (0..<1000).map { k in
            switch k {
            case 0: return Document(id: 100, logline: "mined", js: #"{"a":1}"#, pattern: 3)
            case 1: return Document(id: 101, logline: "client's own", js: #"{"pattern":"3"}"#)
            case 2: return Document(id: 102, logline: "largest id", js: "{}", pattern: UInt32.max)
            default: return Document(id: UInt64(100 + k), logline: "line \(k)", js: #"{"k":\#(k)}"#, pattern: k % 3 == 0 ? UInt32(k % 7) : nil)
            }
        }
    }

    @Test func segmentsKeepThePatternBesideTheStoredJS() throws {
        let builder = SegmentBuilder()
        let docs = Self.documents()
        for d in docs { builder.add(d) }
        let reader = try SegmentReader(name: "p", storage: SegmentStorage(copying: builder.finish()))
        for (k, d) in docs.enumerated() {
            let read = try reader.document(UInt32(k))
            #expect(read == d, "doc \(k)")
        }
        #expect(try reader.document(0).presentedJS == #"{"a":1,"pattern":"3"}"#)
        #expect(try reader.document(1).presentedJS == #"{"pattern":"3"}"#)
        #expect(try reader.document(2).presentedJS == #"{"pattern":"4294967295"}"#)
        #expect(try reader.document(4).presentedJS == #"{"k":4}"#)
        // Filters read one attribute, whichever way the value came.
        let attribute = try #require(reader.attribute("pattern"))
        let threes = try #require(try reader.postingList(of: attribute, value: "3"))
        let expected = [0, 1] + (3..<1000).filter { $0 % 3 == 0 && $0 % 7 == 3 }
        #expect(threes.allDocs().map(Int.init) == expected)
        // An id is no word of the document.
        #expect(reader.lookup(Array("4294967295".utf8)) == nil)
    }

    @Test func segmentsWithoutPatternsHaveNoBits() throws {
        let builder = SegmentBuilder()
        builder.add(Document(id: 1, logline: "x", js: #"{"pattern":"9"}"#))
        let reader = try SegmentReader(name: "q", storage: SegmentStorage(copying: builder.finish()))
        #expect(reader.sectionSizes["patternDocs"] == nil)
        #expect(try reader.document(0) == Document(id: 1, logline: "x", js: #"{"pattern":"9"}"#))
    }

    @Test func theLogCarriesEachDocumentsPattern() throws {
        var delta = PatternMiner.Delta(firstID: 5)
        delta.created.append(PatternMiner.Pattern(id: 5, words: ["a", "<*>"], mergedInto: nil, firstSeen: 7))
        let records: [WALRecord] = [
            .insertExtended(Self.documents(), InsertExtras(replaces: false, mark: SourceMark(key: "f", value: "9"), patterns: delta)),
            .insertExtended(Self.documents(), InsertExtras(replaces: true)),
            .insertExtended([Document(id: 1, logline: "no pattern", js: "{}")], InsertExtras(mark: SourceMark(key: "f", value: "1"))),
        ]
        for record in records {
            var w = ByteWriter()
            record.encode(into: &w)
            let bytes = w.take()
            try bytes.withUnsafeBytes { all throws in
                var r = ByteReader(all)
                #expect(try WALRecord.decode(&r) == record)
                #expect(r.remaining == 0)
                // Cut anywhere, it is an error, not a wrong record.
                for cut in stride(from: 1, to: all.count, by: max(1, all.count / 50)) {
                    var short = ByteReader(UnsafeRawBufferPointer(rebasing: all[..<cut]))
                    #expect((try? WALRecord.decode(&short)) == nil, "cut at \(cut)")
                }
            }
        }
    }
}
