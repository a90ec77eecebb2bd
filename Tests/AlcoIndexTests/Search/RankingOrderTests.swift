import Foundation
import Testing

@testable import AlcoIndex

/// Relevance order, not only the set of matches: on one segment (so word statistics are the
/// segment's), a brute-force ranker that tokenizes the documents itself must order them
/// exactly as the engine does, weight by weight.
@Suite struct RankingOrderTests {
    /// Sphinx's proximity_bm25 in the form `Ranker` documents: 1000 per query word present,
    /// plus BM25 scaled into 0..999; computed from the documents' own tokens.
    struct ReferenceRanker {
        /// Per document: tokens per (field, word) and the total token count.
        var tf: [UInt64: [String: Int]] = [:]
        var length: [UInt64: Int] = [:]

        init(_ docs: [Document]) {
            for d in docs {
                var counts: [String: Int] = [:]
                var n = 0
                for w in Tokenizer.tokens(d.logline) {
                    counts[w, default: 0] += 1
                    n += 1
                }
                var js = d.js
                js.withUTF8 { buf in
                    _ = JSONScanner.forEachScalar(UnsafeRawBufferPointer(buf)) { _, scalar in
                        switch scalar {
                        case .string(let s), .number(let s):
                            for w in Tokenizer.tokens(String(decoding: s, as: UTF8.self)) {
                                counts[w, default: 0] += 1
                                n += 1
                            }
                        case .bool: break
                        }
                    }
                }
                tf[d.id] = counts
                length[d.id] = min(n, Int(UInt16.max))
            }
        }

        func weights(of ids: [UInt64], terms: [String], totalTokens: Int) -> [UInt64: Int] {
            let n = Double(tf.count)
            let avg = max(1, Double(totalTokens) / n)
            var bm25: [UInt64: Double] = [:]
            var present: [UInt64: Int] = [:]
            var seen = Set<String>()
            for term in terms where seen.insert(term).inserted {
                let df = tf.values.filter { $0[term] != nil }.count
                guard df > 0 else { continue }
                let idf = log((n - Double(df) + 0.5) / (Double(df) + 0.5) + 1)
                for id in ids {
                    guard let f = tf[id]?[term] else { continue }
                    let t = Double(f)
                    let len = Double(length[id]!)
                    bm25[id, default: 0] += idf * t * (Ranker.k1 + 1) / (t + Ranker.k1 * (1 - Ranker.b + Ranker.b * len / avg))
                    present[id, default: 0] += 1
                }
            }
            var out: [UInt64: Int] = [:]
            for id in ids {
                let b = bm25[id] ?? 0
                out[id] = 1000 * max(present[id] ?? 0, 1) + Int(999 * b / (b + 1))
            }
            return out
        }
    }

    @Test func relevanceOrderMatchesAReferenceRanker() throws {
        var rng = SeededRandom(seed: 7)
        let words = ["alpha", "beta", "gamma", "delta", "error", "warn", "timeout", "disk", "node7", "retry"]
        func pick() -> String { words[Int.random(in: 0..<words.count, using: &rng)] }
        let dir = TemporaryDirectory()
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        defer { try? catalog.close() }
        let index = try catalog.createIndex(IndexSettings(name: "r"))
        var batch: [NewDocument] = []
        for k in 0..<600 {
            let line = (0..<Int.random(in: 1...12, using: &rng)).map { _ in pick() }.joined(separator: " ")
            batch.append(doc(line, at: day1 + Int64(k), [("host", .string(pick())), ("n", .number(text: String(k % 13)))]))
        }
        let ids = try index.append(batch)
        try index.optimize()
        let segments = try index.snapshot()
        #expect(segments.count == 1)
        let documents = try index.documents(ids: ids)
        let reference = ReferenceRanker(documents)
        let totalTokens = Int(segments[0].reader.totalTokens)
        var compared = 0
        for _ in 0..<60 {
            let terms = (0..<Int.random(in: 1...3, using: &rng)).map { _ in pick() }
            let text = Bool.random(using: &rng) ? terms.joined(separator: " | ") : terms.joined(separator: " ")
            var request = SearchRequest(text: try QueryParser.parse(text), order: .relevance, limit: 1000, maxMatches: 1000)
            request.countTotal = true
            let got = try index.search(request).hits
            let weights = reference.weights(of: got.map(\.id), terms: terms, totalTokens: totalTokens)
            let expected = got.map(\.id).sorted { a, b in
                weights[a]! != weights[b]! ? weights[a]! > weights[b]! : a < b
            }
            #expect(got.map(\.id) == expected, "\(text)")
            #expect(got.map(\.weight) == expected.map { weights[$0]! }, "\(text)")
            compared += got.count
        }
        #expect(compared > 1000)
    }
}
