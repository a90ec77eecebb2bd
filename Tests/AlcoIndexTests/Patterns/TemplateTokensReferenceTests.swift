import Foundation
import Testing

@testable import AlcoIndex

/// Masking (`TemplateTokens`, one table-driven pass written for speed) against a plain
/// restatement of its rules over arrays of bytes, on random messages built from what the
/// rules turn on: digits, delimiters, `=` and `:`, names, long words, newlines, UTF-8.
@Suite struct TemplateTokensReferenceTests {
    /// The rules, word by word, with no shortcut.
    enum Reference {
        static let delimiters = Set("=,:;()[]{}\"'".utf8)
        static let names: Set<String> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

        static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        static func isName(_ piece: [UInt8]) -> Bool {
            piece.count == 3 && names.contains(String(decoding: piece.map { $0 | 0x20 }, as: UTF8.self))
        }
        static func isIdentifier(_ piece: [UInt8]) -> Bool {
            guard let first = piece.first, !isDigit(first) else { return false }
            return piece.allSatisfy { ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a) || isDigit($0) || $0 == 0x5f }
        }

        static func words(_ message: [UInt8]) -> [String] {
            let firstLine = message.split(separator: 0x0a, maxSplits: 1, omittingEmptySubsequences: false).first ?? []
            let words = firstLine.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0d }).prefix(TemplateTokens.maxWords)
            return words.map { String(decoding: mask(Array($0)), as: UTF8.self) }
        }

        static func mask(_ word: [UInt8]) -> [UInt8] {
            let wildcard = Array("<*>".utf8)
            let hasDigit = word.contains(where: isDigit)
            let hasDelimiter = word.contains(where: delimiters.contains)
            if word.count > 256 || (hasDigit && !hasDelimiter) { return wildcard }
            if !hasDelimiter { return isName(word) ? wildcard : word }
            // Pieces: runs between delimiters, and each delimiter.
            var pieces: [(bytes: [UInt8], delimiter: Bool)] = []
            var run: [UInt8] = []
            for b in word {
                if delimiters.contains(b) {
                    if !run.isEmpty { pieces.append((run, false)) }
                    pieces.append(([b], true))
                    run = []
                } else {
                    run.append(b)
                }
            }
            if !run.isEmpty { pieces.append((run, false)) }
            if hasDigit {
                let keyed = pieces.indices.contains { k in
                    pieces[k].delimiter && (pieces[k].bytes == [UInt8(ascii: "=")] || pieces[k].bytes == [UInt8(ascii: ":")])
                        && k > 0 && !pieces[k - 1].delimiter && isIdentifier(pieces[k - 1].bytes)
                }
                if !keyed { return wildcard }
            }
            // Values are variables; variables with one delimiter other than `=` between them
            // are one.
            var out: [[UInt8]] = []  // the pieces written, and which of them are wildcards
            var isWildcard: [Bool] = []
            for (k, piece) in pieces.enumerated() {
                let afterEquals = k > 0 && pieces[k - 1].bytes == [UInt8(ascii: "=")]
                let variable = !piece.delimiter && (piece.bytes.contains(where: isDigit) || isName(piece.bytes) || afterEquals)
                if !variable {
                    out.append(piece.bytes)
                    isWildcard.append(false)
                } else if isWildcard.last == true {
                    continue
                } else if out.count >= 2, isWildcard[out.count - 2], out[out.count - 1].count == 1,
                    delimiters.contains(out[out.count - 1][0]), out[out.count - 1] != [UInt8(ascii: "=")],
                    pieces[k - 1].delimiter
                {
                    out.removeLast()
                    isWildcard.removeLast()
                } else {
                    out.append(wildcard)
                    isWildcard.append(true)
                }
            }
            return out.flatMap { $0 }
        }
    }

    static let vocabulary: [String] = [
        "a", "id", "user", "key", "_x", "mon", "Jul", "SUN", "may", "blk_", "1", "42", "0x1f", "10.0.0.1", "-", ".", "/",
        "é", "日本", "=", ":", ",", ";", "(", ")", "[", "]", "{", "}", "\"", "'", " ", " ", " ", "\t", "\r", "\n",
    ]

    static func randomMessage(_ rng: inout SystemRandomNumberGenerator) -> [UInt8] {
        var bytes: [UInt8] = []
        let pieces = Int.random(in: 0...40, using: &rng)
        for _ in 0..<pieces {
            switch Int.random(in: 0..<50, using: &rng) {
            case 0: bytes += Array(repeating: UInt8(ascii: "x"), count: Int.random(in: 250...260, using: &rng))
            case 1: bytes.append(UInt8.random(in: 0...255, using: &rng))  // any byte, invalid UTF-8 included
            default: bytes += Array(vocabulary.randomElement(using: &rng)!.utf8)
            }
        }
        return bytes
    }

    @Test func maskingMatchesItsRulesOnRandomMessages() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let message = Self.randomMessage(&rng)
            let masked = TemplateTokens.of(utf8: message)
            #expect(masked == Reference.words(message), "message bytes \(message)")
            if masked != Reference.words(message) { return }
        }
    }

    @Test func maskingMatchesItsRulesOnWordsWithManyWords() {
        let long = (0..<300).map { $0 % 3 == 0 ? "k=\($0)" : "w\($0 % 7 == 0 ? "" : "x")" }.joined(separator: " ")
        #expect(TemplateTokens.of(Substring(long)) == Reference.words(Array(long.utf8)))
        #expect(TemplateTokens.of(Substring(long)).count == TemplateTokens.maxWords)
    }
}
