import Foundation
import Testing

@testable import AlcoIndex

/// Numbers of js are read without strtod when short: the value must be strtod's, bit for bit
/// (negative zero included), and anything else must still go to strtod.
@Suite struct NumberParsingTests {
    static func viaStrtod(_ text: String) -> Double? {
        var end: UnsafeMutablePointer<CChar>?
        return text.withCString { c in
            let v = strtod(c, &end)
            return end == UnsafeMutablePointer(mutating: c) + text.utf8.count && !text.isEmpty ? v : nil
        }
    }

    static func parsed(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { AttributeTable.parseNumber($0) }
    }

    @Test func shortDecimalsAreStrtodsValues() {
        var rng = SystemRandomNumberGenerator()
        var texts = [
            "0", "-0", "0.0", "-0.000", "7", "00", "1.5", "71.857", "999999999999999", "-999999999999.999",
            "0.1", "0.30000000000000004", "123456789012345.6", "1e3", "1E-2", "-1.5e+10", "1.", ".5", "-", "",
            "1.2.3", "--1", "+1", "1x", "1234567890123456", "0.000000000000001", "18446744073709551616",
        ]
        for _ in 0..<20_000 {
            let intDigits = Int.random(in: 1...16, using: &rng)
            var t = (Bool.random(using: &rng) ? "-" : "") + String((0..<intDigits).map { _ in "0123456789".randomElement(using: &rng)! })
            if Bool.random(using: &rng) {
                t += "." + String((0..<Int.random(in: 1...16, using: &rng)).map { _ in "0123456789".randomElement(using: &rng)! })
            }
            texts.append(t)
        }
        for t in texts {
            let expected = NumberParsingTests.viaStrtod(t)
            let got = NumberParsingTests.parsed(t)
            #expect(got?.bitPattern == expected?.bitPattern, "\(t): \(String(describing: got)) vs \(String(describing: expected))")
        }
    }

    @Test func onlyShortPlainDecimalsTakeTheFastPath() {
        func fast(_ t: String) -> Double? {
            let b = Array(t.utf8)
            return b.withUnsafeBytes { AttributeTable.parseShortDecimal($0) }
        }
        #expect(fast("71.857") == 71.857)
        #expect(fast("-12") == -12)
        #expect(fast("1e3") == nil)
        #expect(fast("1234567890123456") == nil)
        #expect(fast("1.") == nil)
        #expect(fast(".5") == nil)
        #expect(fast("") == nil)
        #expect(fast("-") == nil)
    }
}
