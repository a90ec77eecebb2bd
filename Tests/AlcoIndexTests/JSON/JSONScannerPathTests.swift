import Testing

@testable import AlcoIndex

/// `forEachScalar` reports each scalar with its dotted path; top-level keys without escapes
/// are handed over in place rather than copied. Compared with a plain recursive walk of the
/// parsed value over random nested objects (escaped keys, arrays of objects, empty objects).
@Suite struct JSONScannerPathTests {
    static func reference(_ v: JSONValue, path: String, into out: inout [String]) {
        switch v {
        case .null: break
        case .bool(let b): out.append(path + "=b:" + String(b))
        case .number(let t): out.append(path + "=n:" + t)
        case .string(let s): out.append(path + "=s:" + s)
        case .array(let items): for x in items { reference(x, path: path, into: &out) }
        case .object(let members): for m in members { reference(m.value, path: path.isEmpty ? m.key : path + "." + m.key, into: &out) }
        }
    }

    static func scanned(_ text: String) -> ([String], Bool) {
        var out: [String] = []
        var bytes = Array(text.utf8)
        let ok = bytes.withUnsafeMutableBytes { raw in
            JSONScanner.forEachScalar(UnsafeRawBufferPointer(raw)) { path, scalar in
                let p = String(decoding: path, as: UTF8.self)
                switch scalar {
                case .string(let s): out.append(p + "=s:" + String(decoding: s, as: UTF8.self))
                case .number(let n): out.append(p + "=n:" + String(decoding: n, as: UTF8.self))
                case .bool(let b): out.append(p + "=b:" + String(b))
                }
            }
        }
        return (out, ok)
    }

    static func randomValue(depth: Int, _ rng: inout some RandomNumberGenerator) -> JSONValue {
        let keys = ["a", "host", "k\"q", "é", "x.y", "", "pattern", "n\\b"]
        switch Int.random(in: 0..<(depth > 3 ? 4 : 7), using: &rng) {
        case 0: return .string(["v", "two words", "q\"uote", "ü"].randomElement(using: &rng)!)
        case 1: return .number(text: ["1", "-2.5", "1e3", "0"].randomElement(using: &rng)!)
        case 2: return .bool(Bool.random(using: &rng))
        case 3: return .null
        case 4: return .array((0..<Int.random(in: 0...3, using: &rng)).map { _ in randomValue(depth: depth + 1, &rng) })
        default:
            return .object(
                (0..<Int.random(in: 0...4, using: &rng)).map { _ in (keys.randomElement(using: &rng)!, randomValue(depth: depth + 1, &rng)) })
        }
    }

    @Test func pathsAgreeWithARecursiveWalk() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let members = (0..<Int.random(in: 0...6, using: &rng)).map { _ in
                (["a", "b", "k\"q", "é", "c.d", ""].randomElement(using: &rng)!, JSONScannerPathTests.randomValue(depth: 1, &rng))
            }
            let value = JSONValue.object(members)
            let text = value.serialized()
            var expected: [String] = []
            JSONScannerPathTests.reference(value, path: "", into: &expected)
            let (seen, ok) = JSONScannerPathTests.scanned(text)
            #expect(ok)
            #expect(seen == expected, "\(text)")
        }
    }

    @Test func nestedMembersExtendATopKeyHeldInPlace() {
        let (seen, ok) = JSONScannerPathTests.scanned(#"{"a":{"b":1,"c":{"d":true}},"e":"x","f":[{"g":"y"},2],"h\u0041":"z","i":{}}"#)
        #expect(ok)
        #expect(seen == ["a.b=n:1", "a.c.d=b:true", "e=s:x", "f.g=s:y", "f=n:2", "hA=s:z"])
    }
}
