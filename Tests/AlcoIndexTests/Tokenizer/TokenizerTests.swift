import Testing

@testable import AlcoIndex

@Suite struct TokenizerTests {
    @Test(arguments: [
        (
            "PacketResponder 1 for block blk_-6952295868487656571 terminating",
            ["packetresponder", "1", "for", "block", "blk_-6952295868487656571", "terminating"]
        ),
        ("dfs.DataNode$PacketResponder: done.", ["dfs.datanode", "packetresponder", "done."]),
        ("10.251.73.220:50010 is added", ["10.251.73.220", "50010", "is", "added"]),
        ("Привет, МИР — Ёлка", ["привет", "мир", "ёлка"]),
        ("üníc😀de tab\tend\nnext", ["n", "c", "de", "tab", "end", "next"]),
        ("", []),
        ("a@b.c user@example.com", ["a", "b.c", "user", "example.com"]),
    ])
    func tokens(_ text: String, _ expected: [String]) {
        #expect(Tokenizer.tokens(text) == expected)
    }

    @Test func positionsAndRanges() {
        let r = Tokenizer.tokenRanges("ab, CD")
        #expect(r.map(\.term) == ["ab", "cd"])
        #expect(r.map(\.range) == [0..<2, 4..<6])
    }

    @Test func foldMatchesTokenizer() {
        #expect(Tokenizer.fold("ÀB Ёж ПРИВЕТ") == "Àb ёж привет")
    }

    @Test func veryLongTokenIsSplit() {
        let long = String(repeating: "a", count: Tokenizer.maxTokenBytes * 2 + 5)
        let t = Tokenizer.tokens(long)
        #expect(t.count == 3)
        #expect(t.map(\.count).reduce(0, +) == long.count)
    }
}

@Suite struct JSONTests {
    @Test func roundTripKeepsNumbersAndOrder() throws {
        let text = #"{"b":1.50,"a":[1,2e3,true,null],"big":18446744073709551616,"s":"q\"\\\n\u0001é"}"#
        let v = try JSONParser.parse(text)
        #expect(v.serialized() == #"{"b":1.50,"a":[1,2e3,true,null],"big":18446744073709551616,"s":"q\"\\\n\u0001é"}"#)
        #expect(v["b"] == .number(text: "1.50"))
    }

    @Test func unicodeEscapes() throws {
        let v = try JSONParser.parse(#""\u041f\u0440\ud83d\ude00""#)
        #expect(v == .string("Пр😀"))
    }

    @Test(arguments: ["{", "{\"a\":}", "[1,]", "01", "\"abc", "{\"a\" 1}", "tru", "{} x", "\"\u{01}\""])
    func rejectsMalformed(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func errorsCarryOffsets() {
        do {
            _ = try JSONParser.parse("{\"a\": [1, 2,, 3]}")
            Issue.record("expected an error")
        } catch let e as JSONParseError {
            #expect(e.offset == 12)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// The eight-bytes-at-a-time scan must stop exactly where a byte-by-byte one does.
    @Test func plainByteScanAgreesWithByteByByte() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x22, 0x5C, 0x00, 0x1F, 0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7F, 0x80, 0xA2, 0xDC, 0xFF, 0x61]
        for _ in 0..<20_000 {
            let n = Int.random(in: 0...40, using: &rng)
            // Mostly harmless bytes, so specials land at every offset of a word.
            let bytes = (0..<n).map { _ in Int.random(in: 0..<6, using: &rng) == 0 ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0x23...0x5B, using: &rng) }
            let from = n == 0 ? 0 : Int.random(in: 0...n, using: &rng)
            let expected = (from..<n).first { bytes[$0] == 0x22 || bytes[$0] == 0x5C || bytes[$0] < 0x20 } ?? n
            bytes.withUnsafeBytes { #expect(JSONScanner.plainBytes($0, from: from) == expected, "\(bytes) from \(from)") }
        }
    }

    @Test func scalarsOfEscapedAndPlainStringsAreDecoded() {
        let text = #"{"a":"plain","b\u0041":"x\"y","c":{"d":"\u00e9t\u00e9"}}"#
        var seen: [String] = []
        var bytes = Array(text.utf8)
        let ok = bytes.withUnsafeMutableBytes { raw in
            JSONScanner.forEachScalar(UnsafeRawBufferPointer(raw)) { path, scalar in
                if case .string(let s) = scalar { seen.append(String(decoding: path, as: UTF8.self) + "=" + String(decoding: s, as: UTF8.self)) }
            }
        }
        #expect(ok)
        #expect(seen == ["a=plain", "bA=x\"y", "c.d=été"])
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
    }
}
