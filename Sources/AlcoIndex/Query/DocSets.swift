/// A set of documents of one segment, evaluated a window of ordinals at a time so that the
/// tail (newest n) decodes only the blocks near the end.
protocol DocSet: AnyObject {
    /// The matching ordinals within `range`, ascending.
    func docs(_ range: Range<UInt32>) throws -> [UInt32]
    /// True when the set is every ordinal (lets AND skip it).
    var isEverything: Bool { get }
    var isNothing: Bool { get }
    /// When the set is exactly the ordinals of a range: that range, so a reader can walk it
    /// instead of listing it.
    var contiguous: Range<UInt32>? { get }
    /// How many ordinals of `range` match; `segmentSize` tells when `range` is the whole
    /// segment, where stored document frequencies may answer without decoding.
    func count(_ range: Range<UInt32>, segmentSize: UInt32) throws -> Int
}

extension DocSet {
    var isEverything: Bool { false }
    var isNothing: Bool { false }
    var contiguous: Range<UInt32>? { isEverything ? 0..<UInt32.max : nil }
    func count(_ range: Range<UInt32>, segmentSize: UInt32) throws -> Int { try docs(range).count }
}

/// Stateless: one instance serves every plan (a plan per segment allocated one each).
final class EverythingSet: DocSet, Sendable {
    static let shared = EverythingSet()
    private init() {}
    var isEverything: Bool { true }
    func docs(_ range: Range<UInt32>) -> [UInt32] { Array(range) }
}

final class NothingSet: DocSet, Sendable {
    static let shared = NothingSet()
    private init() {}
    var isNothing: Bool { true }
    func docs(_ range: Range<UInt32>) -> [UInt32] { [] }
}

/// Docs in any of several posting lists (a word in several fields, prefix expansions).
final class PostingsUnion: DocSet {
    let lists: [PostingList]
    /// Docs in the union over the whole segment, when the segment stored it.
    let wholeSegmentCount: Int?
    init(_ lists: [PostingList], wholeSegmentCount: Int? = nil) {
        self.lists = lists
        self.wholeSegmentCount = wholeSegmentCount
    }

    func docs(_ range: Range<UInt32>) -> [UInt32] {
        var out: [UInt32] = []
        if lists.count == 1 {
            lists[0].docs(in: range, into: &out)
            return out
        }
        if lists.count > 8 {
            for l in lists { l.docs(in: range, into: &out) }
            return sortedUnique(out)
        }
        // Few lists (a word in logline and js): merge the sorted lists instead of sorting.
        for l in lists {
            var next: [UInt32] = []
            l.docs(in: range, into: &next)
            out = out.isEmpty ? next : union(out, next)
        }
        return out
    }

    func count(_ range: Range<UInt32>, segmentSize: UInt32) -> Int {
        if range == 0..<segmentSize {
            if lists.count == 1 { return lists[0].docFreq }
            if let wholeSegmentCount { return wholeSegmentCount }
        }
        if lists.count == 1 { return lists[0].count(in: range) }
        // Several lists overlap: mark a bitmap instead of merging arrays, then count bits.
        var bits = [UInt64](repeating: 0, count: (range.count + 63) / 64)
        bits.withUnsafeMutableBufferPointer { b in
            for l in lists { l.mark(in: range, bits: b) }
        }
        return bits.reduce(0) { $0 + $1.nonzeroBitCount }
    }
}

/// A word over every text field whose docs in the whole segment the segment stored: a count
/// of the whole segment (a bare-word COUNT, the commonest) answers from that figure and never
/// looks the word up; anything else looks it up on first use.
final class StoredCountUnion: DocSet {
    let wholeSegmentCount: Int
    private let lookUp: () throws -> any DocSet
    private var looked: (any DocSet)?

    init(wholeSegmentCount: Int, lookUp: @escaping () throws -> any DocSet) {
        self.wholeSegmentCount = wholeSegmentCount
        self.lookUp = lookUp
    }

    private func union() throws -> any DocSet {
        if let looked { return looked }
        let made = try lookUp()
        looked = made
        return made
    }

    func docs(_ range: Range<UInt32>) throws -> [UInt32] { try union().docs(range) }

    func count(_ range: Range<UInt32>, segmentSize: UInt32) throws -> Int {
        if range == 0..<segmentSize { return wholeSegmentCount }
        return try union().count(range, segmentSize: segmentSize)
    }
}

/// Ordinals listed explicitly (id filters).
final class OrdinalList: DocSet {
    let ordinals: [UInt32]
    init(_ ordinals: [UInt32]) { self.ordinals = sortedUnique(ordinals) }
    func docs(_ range: Range<UInt32>) -> [UInt32] {
        ordinals.filter { range.contains($0) }
    }
}

final class OrdinalRange: DocSet {
    let bounds: Range<UInt32>
    init(_ bounds: Range<UInt32>) { self.bounds = bounds }
    var contiguous: Range<UInt32>? { bounds }
    func docs(_ range: Range<UInt32>) -> [UInt32] {
        let lo = max(range.lowerBound, bounds.lowerBound)
        let hi = min(range.upperBound, bounds.upperBound)
        return lo < hi ? Array(lo..<hi) : []
    }
}

final class AndSet: DocSet {
    let parts: [any DocSet]
    init(_ parts: [any DocSet]) { self.parts = parts }
    func docs(_ range: Range<UInt32>) throws -> [UInt32] {
        var acc = try parts[0].docs(range)
        for p in parts.dropFirst() {
            if acc.isEmpty { return acc }
            let r = acc.first!..<(acc.last! + 1)
            acc = intersect(acc, try p.docs(r))
        }
        return acc
    }
}

/// `inner` within ordinals `bounds`: an id range narrows the window each read asks for
/// instead of being listed and intersected.
final class BoundedSet: DocSet {
    let inner: any DocSet
    let bounds: Range<UInt32>
    init(_ inner: any DocSet, bounds: Range<UInt32>) {
        self.inner = inner
        self.bounds = bounds
    }

    private func clamp(_ range: Range<UInt32>) -> Range<UInt32> {
        let lo = max(range.lowerBound, bounds.lowerBound)
        let hi = min(range.upperBound, bounds.upperBound)
        return lo..<max(lo, hi)
    }

    func docs(_ range: Range<UInt32>) throws -> [UInt32] {
        let r = clamp(range)
        return r.isEmpty ? [] : try inner.docs(r)
    }

    func count(_ range: Range<UInt32>, segmentSize: UInt32) throws -> Int {
        let r = clamp(range)
        return r.isEmpty ? 0 : try inner.count(r, segmentSize: segmentSize)
    }
}

final class OrSet: DocSet {
    let parts: [any DocSet]
    init(_ parts: [any DocSet]) { self.parts = parts }
    func docs(_ range: Range<UInt32>) throws -> [UInt32] {
        var out: [UInt32] = []
        for p in parts {
            let next = try p.docs(range)
            out = out.isEmpty ? next : union(out, next)
        }
        return out
    }
}

/// `positive` without any doc of `negative`.
final class AndNotSet: DocSet {
    let positive: any DocSet
    let negative: any DocSet
    init(_ positive: any DocSet, _ negative: any DocSet) {
        self.positive = positive
        self.negative = negative
    }
    func docs(_ range: Range<UInt32>) throws -> [UInt32] {
        let pos = try positive.docs(range)
        if pos.isEmpty { return pos }
        return subtract(pos, try negative.docs(pos.first!..<(pos.last! + 1)))
    }
}

/// Words at consecutive positions (a phrase) or all within a span (proximity), in one field.
final class PhraseSet: DocSet {
    let lists: [PostingList]
    let proximity: Int?
    init(_ lists: [PostingList], proximity: Int?) {
        self.lists = lists
        self.proximity = proximity
    }

    func docs(_ range: Range<UInt32>) -> [UInt32] {
        // Candidates: docs having every word, rarest list first.
        let order = lists.indices.sorted { lists[$0].docFreq < lists[$1].docFreq }
        var cand: [UInt32] = []
        lists[order[0]].docs(in: range, into: &cand)
        for k in order.dropFirst() {
            if cand.isEmpty { return [] }
            var other: [UInt32] = []
            lists[k].docs(in: cand.first!..<(cand.last! + 1), into: &other)
            cand = intersect(cand, other)
        }
        if cand.isEmpty { return [] }
        // Positions of each word for the candidates only.
        let perWord = lists.map { $0.positions(of: cand) }
        var out: [UInt32] = []
        var cursors = [Int](repeating: 0, count: lists.count)
        for (i, d) in cand.enumerated() {
            let found =
                proximity.map { PhraseSet.withinSpan(perWord.map { Array($0[i]) }, $0) }
                ?? PhraseSet.hasPhrase(perWord, doc: i, cursors: &cursors)
            if found { out.append(d) }
        }
        return out
    }

    /// True when word k occurs at p + k for some p in document `i` (position lists ascend).
    static func hasPhrase(_ perWord: [PositionRuns], doc i: Int, cursors: inout [Int]) -> Bool {
        for k in perWord.indices { cursors[k] = perWord[k].starts[i] }
        for p in perWord[0][i] {
            var ok = true
            for k in 1..<perWord.count {
                let want = p + UInt32(k)
                let list = perWord[k]
                let end = list.starts[i + 1]
                var c = cursors[k]
                while c < end && list.values[c] < want { c += 1 }
                cursors[k] = c
                if c >= end { return false }
                if list.values[c] != want {
                    ok = false
                    break
                }
            }
            if ok { return true }
        }
        return false
    }

    /// Sphinx's `"a b c"~N`: all words inside a window where fewer than N words lie between.
    static func withinSpan(_ perWord: [[UInt32]], _ n: Int) -> Bool {
        var events: [(pos: UInt32, word: Int)] = []
        for (w, ps) in perWord.enumerated() { for p in ps { events.append((p, w)) } }
        events.sort { $0.pos < $1.pos }
        let k = perWord.count
        var counts = [Int](repeating: 0, count: k)
        var have = 0
        var lo = 0
        for hi in 0..<events.count {
            if counts[events[hi].word] == 0 { have += 1 }
            counts[events[hi].word] += 1
            while have == k {
                let span = Int(events[hi].pos - events[lo].pos) + 1
                // Sphinx: all words within a span of fewer than N + (word count) words.
                if span - k < n { return true }
                counts[events[lo].word] -= 1
                if counts[events[lo].word] == 0 { have -= 1 }
                lo += 1
            }
        }
        return false
    }
}

/// Docs having at least `minimum` of the word sets.
final class QuorumSet: DocSet {
    let words: [any DocSet]
    let minimum: Int
    init(_ words: [any DocSet], minimum: Int) {
        self.words = words
        self.minimum = minimum
    }
    func docs(_ range: Range<UInt32>) throws -> [UInt32] {
        var counts: [UInt32: Int] = [:]
        for w in words { for d in try w.docs(range) { counts[d, default: 0] += 1 } }
        return counts.filter { $0.value >= minimum }.keys.sorted()
    }
}

/// A predicate checked per ordinal (numeric columns, presence).
final class ScanSet: DocSet {
    let inner: any DocSet
    let predicate: (UInt32) throws -> Bool
    init(over inner: any DocSet, _ predicate: @escaping (UInt32) throws -> Bool) {
        self.inner = inner
        self.predicate = predicate
    }
    func docs(_ range: Range<UInt32>) throws -> [UInt32] {
        try inner.docs(range).filter(predicate)
    }
}

func sortedUnique(_ xs: [UInt32]) -> [UInt32] {
    if xs.count < 2 { return xs }
    let s = xs.sorted()
    var out: [UInt32] = []
    out.reserveCapacity(s.count)
    for x in s where out.last != x { out.append(x) }
    return out
}

func union(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
    var out: [UInt32] = []
    out.reserveCapacity(a.count + b.count)
    var i = 0
    var j = 0
    while i < a.count && j < b.count {
        let x = a[i]
        let y = b[j]
        if x < y {
            out.append(x)
            i += 1
        } else if y < x {
            out.append(y)
            j += 1
        } else {
            out.append(x)
            i += 1
            j += 1
        }
    }
    out.append(contentsOf: a[i...])
    out.append(contentsOf: b[j...])
    return out
}

func intersect(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
    var out: [UInt32] = []
    out.reserveCapacity(min(a.count, b.count))
    var i = 0
    var j = 0
    while i < a.count && j < b.count {
        if a[i] < b[j] {
            i += 1
        } else if a[i] > b[j] {
            j += 1
        } else {
            out.append(a[i])
            i += 1
            j += 1
        }
    }
    return out
}

func subtract(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
    if b.isEmpty { return a }
    var out: [UInt32] = []
    out.reserveCapacity(a.count)
    var j = 0
    for x in a {
        while j < b.count && b[j] < x { j += 1 }
        if j < b.count && b[j] == x { continue }
        out.append(x)
    }
    return out
}
