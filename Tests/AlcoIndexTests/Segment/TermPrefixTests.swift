import Testing

@testable import AlcoIndex

/// A binary search may decide a probe on two keys' prefixes only if differing prefixes order
/// the keys as the keys order: checked over random keys, zero bytes and short keys included.
@Suite struct TermPrefixTests {
    @Test func differingPrefixesOrderKeysAsTheKeysOrder() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0, 1, 0x61, 0x62, 0x7a, 0xff]
        func key() -> [UInt8] { (0..<Int.random(in: 0...11, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! } }
        for _ in 0..<20_000 {
            let a = key()
            let b = key()
            let pa = TermPrefix.of(a)
            let pb = TermPrefix.of(b)
            if pa < pb { #expect(a.lexicographicallyPrecedes(b), "\(a) \(b)") }
            if pa > pb { #expect(b.lexicographicallyPrecedes(a), "\(a) \(b)") }
            if a == b { #expect(pa == pb) }
        }
    }

    /// A look-up's binary search narrowed by the sampled prefixes lands on the block the whole
    /// search lands on: blocks' first terms with long shared prefixes (ties the sample cannot
    /// decide), keys between, before and after them.
    @Test func theSampleNarrowsASearchWithoutChangingItsAnswer() {
        var rng = SystemRandomNumberGenerator()
        let stride = TermPrefix.sampleStride
        for round in 0..<40 {
            let heads: [[UInt8]] = [[0], [0, 0x61], Array("\u{1}request".utf8), Array("\u{1}requesu".utf8), [2]]
            let blocks = Int.random(in: 1...(stride * 6), using: &rng)
            var firsts = (0..<blocks).map { _ in
                heads.randomElement(using: &rng)! + (0..<Int.random(in: 0...4, using: &rng)).map { _ in UInt8.random(in: 0x61...0x64, using: &rng) }
            }
            firsts.sort { $0.lexicographicallyPrecedes($1) }
            let prefixes = firsts.map { TermPrefix.of($0) }
            let sample = Swift.stride(from: 0, to: blocks, by: stride).map { prefixes[$0] }
            func search(_ key: [UInt8], in range: Range<Int>, strictly: Bool) -> Int {
                var lo = range.lowerBound
                var hi = range.upperBound
                while lo < hi {
                    let mid = (lo + hi) / 2
                    let below = strictly ? firsts[mid].lexicographicallyPrecedes(key) : !key.lexicographicallyPrecedes(firsts[mid])
                    if below { lo = mid + 1 } else { hi = mid }
                }
                return lo
            }
            for _ in 0..<200 {
                let key =
                    Bool.random(using: &rng)
                    ? firsts.randomElement(using: &rng)!
                    : heads.randomElement(using: &rng)! + (0..<Int.random(in: 0...5, using: &rng)).map { _ in UInt8.random(in: 0x60...0x65, using: &rng) }
                let narrowed = TermPrefix.narrow(sample, stride: stride, blockCount: blocks, key: TermPrefix.of(key))
                for strictly in [false, true] {
                    #expect(search(key, in: narrowed, strictly: strictly) == search(key, in: 0..<blocks, strictly: strictly), "round \(round), key \(key)")
                }
            }
        }
    }

    /// A segment with many dictionary blocks stores the sample and still finds every term (and
    /// no absent one), by exact look-up and by prefix.
    @Test func aSegmentWithManyBlocksFindsEveryTermThroughTheSample() throws {
        let builder = SegmentBuilder()
        let words = (0..<40_000).map { "w\(String($0 &* 7_919 % 1_000_003, radix: 36))" }
        for (k, w) in words.enumerated() {
            builder.add(Document(id: UInt64(k + 1), logline: "\(w) common", js: "{}"))
        }
        let reader = try SegmentReader(name: "s", storage: SegmentStorage(copying: builder.finish()), checkingPagesOnUse: true)
        #expect(reader.dictionary.prefixSample.count > 2)
        for w in words.shuffled().prefix(3000) {
            #expect(reader.lookup([SegmentFormat.Field.logline] + Array(w.utf8))?.docFreq == 1, "\(w)")
        }
        #expect(reader.lookup([SegmentFormat.Field.logline] + Array("common".utf8))?.docFreq == 40_000)
        #expect(reader.lookup([SegmentFormat.Field.logline] + Array("w!".utf8)) == nil)
        #expect(reader.lookup([SegmentFormat.Field.logline] + Array("zz".utf8)) == nil)
        var found = 0
        reader.terms(field: SegmentFormat.Field.logline, prefix: Array("w1".utf8)) { _, _ in found += 1 }
        #expect(found == words.filter { $0.hasPrefix("w1") }.count)
    }

    /// A needle looked up in a segment that does not hold it stops at its block's gram filter:
    /// thousands of absent ids read the prefixes and the filters, not the dictionary blocks,
    /// and present ones are all still found.
    @Test func anAbsentNeedleStopsAtTheGramFilter() throws {
        var rng = SeededRandom(seed: 19)
        var present = Set<UInt32>()
        while present.count < 40_000 { present.insert(UInt32.random(in: 0...UInt32.max, using: &rng)) }
        // Short enough that a look-up's binary search is decided by the 8-byte prefixes alone
        // (a tie reads the block's first term): what is measured is the block scan.
        let id = { (v: UInt32) in "r" + String(repeating: "0", count: 8 - String(v, radix: 16).count) + String(v, radix: 16) }
        let builder = SegmentBuilder()
        for (k, v) in present.sorted().enumerated() { builder.add(Document(id: UInt64(k + 1), logline: "GET \(id(v))", js: "{}")) }
        let reader = try SegmentReader(name: "s", storage: SegmentStorage(copying: builder.finish()), checkingPagesOnUse: true)
        let key = { (v: UInt32) in [SegmentFormat.Field.logline] + Array(id(v).utf8) }
        let before = reader.bytesVerifiedOnUse
        var absent = 0
        while absent < 5000 {
            let v = UInt32.random(in: 0...UInt32.max, using: &rng)
            guard !present.contains(v) else { continue }
            #expect(reader.lookup(key(v)) == nil)
            absent += 1
        }
        let read = reader.bytesVerifiedOnUse - before
        let filters = try #require(reader.sectionSizes["termGramFilters"])
        let prefixes = try #require(reader.sectionSizes["termFirstPrefixes"])
        let blocks = try #require(reader.sectionSizes["termData"])
        // Without the filters, look-ups all over the dictionary would read more than this bound.
        #expect(blocks > filters + prefixes + 16 * PageChecksums.pageSize)
        #expect(read <= filters + prefixes + 16 * PageChecksums.pageSize, "\(read) bytes checked for absent needles")
        for v in present.shuffled(using: &rng).prefix(2000) { #expect(reader.lookup(key(v))?.docFreq == 1) }
    }

    /// An exact look-up (prefixes checked at once, then its block scanned) must find every term
    /// with the entry that a walk of the dictionary reads, and nothing else, over words that are
    /// prefixes of one another, share long runs, and mix one-document entries with lists.
    @Test func exactLookUpsAgreeWithWalkingTheDictionary() throws {
        var rng = SeededRandom(seed: 25)
        let alphabet = Array("ab0z".utf8)
        func word() -> String {
            String(decoding: (0..<Int.random(in: 1...9, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }, as: UTF8.self)
        }
        var words = Set<String>()
        while words.count < 3000 { words.insert(word()) }
        let sorted = words.sorted()
        let builder = SegmentBuilder()
        for (k, w) in sorted.enumerated() {
            // Every third line also holds its neighbour: those words get lists, the rest inline.
            builder.add(Document(id: UInt64(k + 1), logline: k % 3 == 0 ? "\(w) \(sorted[(k + 1) % sorted.count])" : w, js: "{}"))
        }
        let reader = try SegmentReader(name: "s", storage: SegmentStorage(copying: builder.finish()), checkingPagesOnUse: true)
        let field = SegmentFormat.Field.logline
        var walked: [[UInt8]: TermInfo] = [:]
        reader.terms(field: field, prefix: []) { term, info in walked[[field] + Array(term)] = info }
        #expect(walked.count == words.count)
        #expect(walked.values.contains { $0.inline } && walked.values.contains { !$0.inline })
        for (key, info) in walked {
            let found = reader.lookup(key)
            #expect(found?.docFreq == info.docFreq && found?.postingsOffset == info.postingsOffset && found?.inline == info.inline)
        }
        var absent = 0
        while absent < 3000 {
            let key = [field] + Array(word().utf8)
            guard walked[key] == nil else { continue }
            #expect(reader.lookup(key) == nil, "\(key)")
            absent += 1
        }
        // Before the first term and after the last, and in another field.
        #expect(reader.lookup([field]) == nil)
        #expect(reader.lookup([field] + Array("zzzzzzzzzz".utf8)) == nil)
        #expect(reader.lookup([SegmentFormat.Field.js] + Array(sorted[0].utf8)) == nil)
    }

    /// Blocks whose first terms all share their 8-byte prefix leave the sample nothing to
    /// narrow: a look-up over more blocks than it checks at once probes them one by one.
    @Test func aPrefixEveryBlockSharesIsSearchedProbeByProbe() throws {
        let builder = SegmentBuilder()
        let count = (TermDictionaryReader.prefixesCheckedAtOnce + 100) * SegmentFormat.termsPerBlock
        for k in 0..<count { builder.add(Document(id: UInt64(k + 1), logline: "sharedprefix\(1_000_000 + k)", js: "{}")) }
        let reader = try SegmentReader(name: "s", storage: SegmentStorage(copying: builder.finish()), checkingPagesOnUse: true)
        let key = { (k: Int) in [SegmentFormat.Field.logline] + Array("sharedprefix\(k)".utf8) }
        for k in stride(from: 1_000_000, to: 1_000_000 + count, by: 97) { #expect(reader.lookup(key(k))?.docFreq == 1) }
        #expect(reader.lookup(key(999_999)) == nil)
        #expect(reader.lookup(key(1_000_000 + count)) == nil)
        #expect(reader.lookup(key(100_000)) == nil)
    }

    @Test func theFirstEightBytesBigEndian() {
        #expect(TermPrefix.of([0x01, 0x02]) == 0x0102_0000_0000_0000)
        #expect(TermPrefix.of(Array("abcdefghij".utf8)) == 0x6162_6364_6566_6768)
        #expect(TermPrefix.of([]) == 0)
    }
}
