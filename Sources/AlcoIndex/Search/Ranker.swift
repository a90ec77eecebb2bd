/// Relevance weights in the spirit of Sphinx's default `proximity_bm25` ranker: 1000 per query
/// word present, plus a BM25 part scaled into 0..999, so documents with more of the words rank
/// first and BM25 orders the rest.
enum Ranker {
    static let k1 = 1.2
    static let b = 0.75

    static func weights(_ docs: [UInt32], query: TextQuery, segment: SegmentReader) -> [Int] {
        guard !docs.isEmpty else { return [] }
        var index: [UInt32: Int] = [:]
        index.reserveCapacity(docs.count)
        for (i, d) in docs.enumerated() { index[d] = i }
        var bm25 = [Double](repeating: 0, count: docs.count)
        var present = [Int](repeating: 0, count: docs.count)
        let n = Double(segment.docCount)
        let avg = segment.averageLength
        let range = docs.first!..<(docs.last! + 1)
        var seen = Set<String>()
        for (term, match) in query.positiveTerms where match == .exact && seen.insert(term).inserted {
            var tf = [UInt32: UInt32]()
            var lists: [(TermInfo, PostingList)] = []
            for f in 0..<segment.fieldNames.count {
                guard let info = segment.lookup([UInt8(f)] + Array(term.utf8)),
                    let list = try? segment.postingList(info)
                else { continue }
                lists.append((info, list))
                for (d, freq) in list.docsWithFrequencies(in: range) where index[d] != nil { tf[d, default: 0] += freq }
            }
            let df = documentFrequency(term, lists, segment: segment)
            guard df > 0 else { continue }
            let idf = log((n - Double(df) + 0.5) / (Double(df) + 0.5) + 1)
            for (d, f) in tf {
                let i = index[d]!
                let len = Double(segment.length(d))
                let t = Double(f)
                bm25[i] += idf * t * (k1 + 1) / (t + k1 * (1 - b + b * len / avg))
                present[i] += 1
            }
        }
        return (0..<docs.count).map { i in
            1000 * max(present[i], 1) + Int(999 * bm25[i] / (bm25[i] + 1))
        }
    }

    /// Documents having the word in any field, as IDF counts them (a document with it in its
    /// line and its js is one document, not two): the one field's count, the count the
    /// segment keeps for frequent words, or else the union of the lists (rare words: short).
    static func documentFrequency(_ term: String, _ lists: [(TermInfo, PostingList)], segment: SegmentReader) -> Int {
        if lists.count <= 1 { return lists.first?.0.docFreq ?? 0 }
        if let any = segment.docFreqInAnyField(Array(term.utf8)) { return any }
        var all: [UInt32] = []
        for (_, list) in lists { list.docs(in: 0..<UInt32(segment.docCount), into: &all) }
        all.sort()
        var distinct = 0
        var last: UInt32?
        for d in all where d != last {
            distinct += 1
            last = d
        }
        return distinct
    }
}

#if canImport(Glibc)
import Glibc
#endif
