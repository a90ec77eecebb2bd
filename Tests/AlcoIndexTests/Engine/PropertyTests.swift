import Foundation
import Testing

@testable import AlcoIndex

/// Deterministic pseudo-random numbers (SplitMix64), so a failing seed can be replayed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random documents and random queries answered by the engine and by `Oracle` must agree
/// exactly, across seals, flushes, merges, deletes, replaces and reopening.
@Suite(.serialized) struct PropertyTests {
    static let words = [
        "alpha", "beta", "Gamma", "delta", "error", "warn", "blk_123", "blk_-456", "10.0.0.1",
        "x-y", "Ёлка", "Привет", "node.local", "terminating", "failed", "user_1", "42", "3.14",
    ]
    static let separators = [" ", " ", " ", ": ", ", ", " | ", "\t", " / "]

    var rng: SeededRandom

    init() { rng = SeededRandom(seed: 1) }

    mutating func pick<T>(_ xs: [T]) -> T { xs[Int.random(in: 0..<xs.count, using: &rng)] }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    mutating func randomLine() -> String {
        let n = Int.random(in: 1...9, using: &rng)
        var s = ""
        for k in 0..<n {
            if k > 0 { s += pick(Self.separators) }
            var w = pick(Self.words)
            if chance(0.2) { w = w.uppercased() }
            if chance(0.1) { w += String(Int.random(in: 0...99, using: &rng)) }
            s += w
        }
        // A needle: a word in one line only, which most segments' word filters rule out.
        if chance(0.2) { s += " req-" + String(rng.next() & 0xFFFFFF, radix: 16) }
        return s
    }

    mutating func randomJS() -> JSONValue {
        var ms: [(key: String, value: JSONValue)] = []
        if chance(0.9) { ms.append(("host", .string(pick(["web01", "web02", "db"])))) }
        if chance(0.9) { ms.append(("levelname", .string(pick(["INFO", "ERROR", "WARNING"])))) }
        if chance(0.7) { ms.append(("n", .number(text: String(Int.random(in: 0...20, using: &rng))))) }
        if chance(0.3) { ms.append(("tags", .array([.string(pick(Self.words)), .string(pick(Self.words))]))) }
        if chance(0.3) { ms.append(("nested", .object([("k", .string(pick(["alpha", "beta", "v v"])))]))) }
        if chance(0.2) { ms.append(("flag", .bool(chance(0.5)))) }
        if chance(0.3) { ms.append(("msg", .string(randomLine()))) }
        return .object(ms)
    }

    mutating func randomText(_ sample: Document?) -> TextQuery {
        let fieldChoices: [FieldLimit] = [.all, .all, .only(["logline"]), .only(["js"])]
        let kind = Int.random(in: 0..<11, using: &rng)
        let tokens = sample.map { Tokenizer.tokens($0.logline) } ?? []
        func word() -> String {
            if !tokens.isEmpty && chance(0.7) { return pick(tokens) }
            return Tokenizer.fold(pick(Self.words))
        }
        switch kind {
        case 0: return .all
        case 1, 2: return .term(word(), fields: pick(fieldChoices), match: .exact)
        case 3:
            let w = word()
            let m: TermMatch = pick([.prefix, .suffix, .infix])
            let cut = String(w.prefix(max(1, w.count / 2)))
            let tail = String(w.suffix(max(1, w.count / 2)))
            return .term(m == .suffix ? tail : cut, fields: pick(fieldChoices), match: m)
        case 4:
            if tokens.count >= 2 {
                let i = Int.random(in: 0..<(tokens.count - 1), using: &rng)
                let ws = Array(tokens[i...min(tokens.count - 1, i + Int.random(in: 1...2, using: &rng))])
                if Set(ws).count == ws.count {
                    return .phrase(ws, fields: pick(fieldChoices), proximity: chance(0.4) ? Int.random(in: 0...4, using: &rng) : nil)
                }
            }
            return .term(word(), fields: .all, match: .exact)
        case 5: return .or([randomText(sample), randomText(sample)])
        case 6: return .and([randomText(sample), .not(.term(word(), fields: .all, match: .exact))])
        case 7: return .quorum([word(), word(), word()].uniqued(), fields: .all, minimum: Int.random(in: 1...2, using: &rng))
        case 8, 9:
            guard let line = sample?.logline, !line.isEmpty else { return .substring("a", caseSensitive: false) }
            let chars = Array(line)
            let a = Int.random(in: 0..<chars.count, using: &rng)
            let b = min(chars.count, a + Int.random(in: 1...12, using: &rng))
            var s = String(chars[a..<b])
            let cs = chance(0.5)
            if !cs && chance(0.5) { s = s.uppercased() }
            return .substring(s, caseSensitive: cs)
        default:
            return .regex(
                pick(["blk_-?[0-9]+", "alpha.*beta", "^[A-Z]", "(error|failed)", "node\\.local", "[0-9]{2,}"]),
                caseSensitive: chance(0.5))
        }
    }

    mutating func randomFilter(_ ids: [UInt64]) -> Filter {
        switch Int.random(in: 0..<11, using: &rng) {
        case 0, 1: return .always(true)
        case 2: return .oneOf(key: "host", values: [.string(pick(["web01", "web02", "db", "none"]))])
        case 3: return .oneOf(key: "levelname", values: [.string("ERROR"), .string("WARNING")])
        case 4: return .oneOf(key: "n", values: [.number(Double(Int.random(in: 0...20, using: &rng))), .string("7")])
        case 5:
            return .compare(
                key: "n", pick([.less, .lessOrEqual, .greater, .greaterOrEqual, .notEqual, .equal]),
                Double(Int.random(in: 0...20, using: &rng)))
        case 6: return .between(key: "n", 5, 12)
        case 7: return .exists(key: pick(["nested.k", "tags", "flag", "msg"]))
        case 8:
            guard !ids.isEmpty else { return .always(true) }
            return .idCompare(pick([.less, .lessOrEqual, .greater, .greaterOrEqual, .notEqual, .equal]), pick(ids))
        case 9: return .not(.oneOf(key: "host", values: [.string("web01")]))
        default:
            guard !ids.isEmpty else { return .always(false) }
            return .or([.idIn([pick(ids), pick(ids)]), .oneOf(key: "tags", values: [.string(pick(Self.words))])])
        }
    }

    @Test(arguments: (ProcessInfo.processInfo.environment["ALCO_PROPERTY_SEEDS"].flatMap { Int($0) }.map { Array(UInt64(1)...UInt64($0)) }) ?? Array(1...8))
    mutating func engineAgreesWithOracle(seed: UInt64) throws {
        if let only = ProcessInfo.processInfo.environment["ALCO_PROPERTY_ONLY"].flatMap(UInt64.init), only != seed { return }
        rng = SeededRandom(seed: seed)
        let dir = TemporaryDirectory()
        var options = testOptions()
        options.maxSegmentDocs = 40
        options.mergeFactor = 3
        var catalog = try Catalog(directory: dir.path, options: options)
        var index = try catalog.createIndex(IndexSettings(name: "p"))
        var oracle = Oracle()
        var time = day1
        var checked = 0
        let trace = ProcessInfo.processInfo.environment["ALCO_PROPERTY_TRACE"] != nil
        for step in 0..<120 {
            let op = Int.random(in: 0..<10, using: &rng)
            if trace { print("step \(step) op \(op) docs \(oracle.docs.count)") }
            switch op {
            case 0...4:
                // A batch over one or two days.
                var batch: [NewDocument] = []
                for _ in 0..<Int.random(in: 1...25, using: &rng) {
                    time += Int64.random(in: 0...4_000_000_000, using: &rng)
                    batch.append(NewDocument(microseconds: time, logline: randomLine(), js: randomJS()))
                }
                let ids = try index.append(batch, mode: .insert)
                for (id, d) in zip(ids, batch) { oracle.put(Document(id: id, logline: d.logline, js: d.js)) }
            case 5:
                let existing = oracle.docs.keys.sorted()
                guard !existing.isEmpty else { continue }
                let victims = (0..<Int.random(in: 1...5, using: &rng)).map { _ in pick(existing) }
                try index.delete(ids: victims)
                for v in victims { oracle.remove(v) }
            case 6:
                let existing = oracle.docs.keys.sorted()
                guard !existing.isEmpty else { continue }
                let id = pick(existing)
                let d = NewDocument(id: id, logline: randomLine(), js: randomJS())
                try index.append([d], mode: .replace)
                oracle.put(Document(id: id, logline: d.logline, js: d.js))
                #expect(throws: AlcoError.self) { try index.append([NewDocument(id: id, logline: "dup")], mode: .insert) }
            case 7:
                try index.flush()
            case 8:
                while try index.mergeOnce() {}
            default:
                if chance(0.5) {
                    try catalog.close()
                } else {
                    catalog.abandon()  // as after a crash: no flush
                }
                catalog = try Catalog(directory: dir.path, options: options)
                index = try catalog.index("p")
            }
            // Queries after every step.
            let ids = oracle.docs.keys.sorted()
            for _ in 0..<6 {
                let sample = ids.isEmpty ? nil : oracle.docs[pick(ids)]!.doc
                var r = SearchRequest(text: randomText(sample), filter: randomFilter(ids))
                r.order = chance(0.5) ? .idDescending : .idAscending
                r.offset = chance(0.3) ? Int.random(in: 0...10, using: &rng) : 0
                r.limit = Int.random(in: 0...30, using: &rng)
                r.maxMatches = max(r.offset + 1, pick([1000, 15, 40]))
                r.countTotal = chance(0.6)
                if chance(0.2), let a = ids.randomElement(using: &rng), let b = ids.randomElement(using: &rng) {
                    r.ids = IDBounds(min(a, b), max(a, b))
                }
                let expected = oracle.answer(r)
                let got = try index.search(r)
                if trace && got.hits.map(\.id) != expected.ids {
                    let extra = Set(got.hits.map(\.id)).subtracting(expected.ids)
                    let missing = Set(expected.ids).subtracting(got.hits.map(\.id))
                    print("MISMATCH step \(step) extra \(extra) missing \(missing) query \(r.text) \(r.filter)")
                    for e in extra { print("  extra in oracle? \(oracle.docs[e] != nil) engine has \(index.contains(e))") }
                }
                #expect(got.hits.map(\.id) == expected.ids, "seed \(seed) step \(step): \(r.text) | \(r.filter) | \(r.order) off \(r.offset) lim \(r.limit)")
                if r.countTotal {
                    #expect(got.totalFound == expected.total, "seed \(seed) step \(step) total: \(r.text) | \(r.filter)")
                }
                for h in got.hits {
                    let o = oracle.docs[h.id]!.doc
                    #expect(h.logline == o.logline && h.js == o.js)
                }
                if chance(0.25) {
                    var g = r
                    g.groupBy = pick(["host", "levelname", "n", "nested.k"])
                    g.limit = 100
                    g.offset = 0
                    let got = try index.search(g)
                    #expect(got.groups == oracle.groups(g, key: g.groupBy!), "seed \(seed) step \(step) group \(g.groupBy!)")
                    // Each group's row is its newest line, found in the segment whose ids span it.
                    #expect(got.hits.map(\.id) == got.groups.prefix(100).map(\.representativeID), "seed \(seed) step \(step) rows")
                }
                if chance(0.2) {
                    // Every line grouped: whole segments answer from the groups they keep.
                    var all = SearchRequest()
                    all.groupBy = pick(["host", "levelname", "n", "nested.k", "tags", "id"])
                    all.limit = 100
                    let got = try index.search(all)
                    #expect(got.groups == oracle.groups(all, key: all.groupBy!), "seed \(seed) step \(step) all by \(all.groupBy!)")
                    #expect(got.hits.map(\.id) == got.groups.prefix(100).map(\.representativeID), "seed \(seed) step \(step) all rows")
                }
                if chance(0.1) {
                    var rel = r
                    rel.order = .relevance
                    rel.offset = 0
                    rel.limit = 1000
                    rel.maxMatches = 1000
                    let got = try index.search(rel)
                    #expect(Set(got.hits.map(\.id)) == Set(oracle.matching(rel).map(\.id)))
                }
                checked += 1
            }
        }
        #expect(checked > 500)
        try catalog.close()
    }

    @Test mutating func deleteByQueryMatchesOracle() throws {
        rng = SeededRandom(seed: 99)
        let dir = TemporaryDirectory()
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.createIndex(IndexSettings(name: "d"))
        var oracle = Oracle()
        var batch: [NewDocument] = []
        for k in 0..<300 { batch.append(NewDocument(microseconds: day1 + Int64(k) * 1000, logline: randomLine(), js: randomJS())) }
        let ids = try index.append(batch)
        for (id, d) in zip(ids, batch) { oracle.put(Document(id: id, logline: d.logline, js: d.js)) }
        try index.flush()
        let r = SearchRequest(text: .term("alpha", fields: .all, match: .exact), filter: .oneOf(key: "host", values: [.string("web01")]))
        let victims = oracle.matching(r).map(\.id)
        #expect(try index.delete(matching: r) == victims.count)
        for v in victims { oracle.remove(v) }
        var all = SearchRequest(limit: 1000, countTotal: true)
        all.order = .idAscending
        #expect(try index.search(all).hits.map(\.id) == oracle.answer(all).ids)
        try catalog.close()
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
