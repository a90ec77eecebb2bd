import Testing

@testable import SphinxQL

/// Malformed SphinxQL must come back as a `SphinxQLError` with an offset inside the text,
/// never a crash: every captured statement truncated at every length, and with bytes flipped.
@Suite struct RobustnessTests {
    @Test func truncatedAndMangledStatementsNeverCrash() {
        var checked = 0
        var state: UInt64 = 7
        func random(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(max(n, 1)))
        }
        let noise: [Character] = ["'", "`", "(", ")", ",", ";", "\\", "@", "\"", "*", "-", "=", "é", "\u{0}", " "]
        for s in clientStatements.prefix(40) {
            let chars = Array(s)
            for cut in stride(from: 0, through: chars.count, by: max(1, chars.count / 60)) {
                check(String(chars[0..<cut]))
                checked += 1
            }
            for _ in 0..<40 {
                var m = chars
                for _ in 0..<3 where !m.isEmpty { m[random(m.count)] = noise[random(noise.count)] }
                check(String(m))
                checked += 1
            }
        }
        #expect(checked > 2000)
    }

    func check(_ text: String) {
        do {
            _ = try Parser.parseBatch(text)
        } catch let e as SphinxQLError {
            #expect(e.offset >= 0 && e.offset <= text.utf8.count)
        } catch {
            Issue.record("unexpected error type \(error) for \(text)")
        }
    }
}
