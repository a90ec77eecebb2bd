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

    @Test func theFirstEightBytesBigEndian() {
        #expect(TermPrefix.of([0x01, 0x02]) == 0x0102_0000_0000_0000)
        #expect(TermPrefix.of(Array("abcdefghij".utf8)) == 0x6162_6364_6566_6768)
        #expect(TermPrefix.of([]) == 0)
    }
}
