import AlcoIndex
import Foundation
import Testing

@testable import AlcoIngest

@Suite struct TimestampTests {
    let utc = TimeZone(identifier: "UTC")!

    @Test(arguments: [
        ("2026-11-25T21:05:51.852258Z", Int64(1_795_640_751_852_258)),
        ("2026-11-25T21:05:51Z", Int64(1_795_640_751_000_000)),
        ("2026-11-25 21:05:51.8", Int64(1_795_640_751_800_000)),
        ("2026-11-25T21:05:51.852258123Z", Int64(1_795_640_751_852_258)),
        ("2026-11-25T23:05:51+02:00", Int64(1_795_640_751_000_000)),
        ("2026-11-25", Int64(1_795_564_800_000_000)),
    ])
    func parsesISO(_ text: String, _ expected: Int64) {
        #expect(Timestamps.parseISO(text, zone: utc) == expected)
    }

    @Test(arguments: ["yesterday", "2026-13-01", "2026-11-25T25:00:00Z", "2026-11-25T21:05:51.Z", ""])
    func rejectsNonsense(_ text: String) {
        #expect(Timestamps.parseISO(text, zone: utc) == nil)
    }

    @Test func literalZIsProducerLocalTime() {
        let moscow = TimeZone(identifier: "Europe/Moscow")!
        let expected: Int64 = 1_795_640_751_000_000 - 3 * 3_600_000_000
        let got = Timestamps.parseISO("2026-11-25T21:05:51Z", zone: moscow)
        #expect(got == expected)
        #expect(Timestamps.parseISO("2026-11-25T21:05:51Z", zone: moscow, zuluIsLocal: false) == 1_795_640_751_000_000)
    }

    /// The decoder reads times in place with a zone's fixed offset when it has one; that
    /// must agree with the general lookup for zones with and without daylight saving.
    @Test func fixedOffsetAgreesWithZoneLookup() {
        let zones = ["UTC", "Asia/Tokyo", "Europe/Berlin", "America/New_York", "Europe/Moscow", "Asia/Kolkata"]
        let times = ["2026-01-15T03:04:05.123456Z", "2026-07-15T23:59:59Z", "2026-03-29T02:30:00Z", "1999-12-31T23:00:00"]
        for id in zones {
            let zone = TimeZone(identifier: id)!
            let fixed = Timestamps.fixedOffset(of: zone)
            if id == "UTC" || id == "Asia/Tokyo" { #expect(fixed != nil, "\(id)") }
            if id == "Europe/Berlin" || id == "America/New_York" { #expect(fixed == nil, "\(id)") }
            for t in times {
                var bytes = Array(t.utf8)
                let inPlace = bytes.withUnsafeMutableBytes {
                    Timestamps.parseISO(UnsafeRawBufferPointer($0), zone: zone, fixedOffset: fixed)
                }
                #expect(inPlace == Timestamps.parseISO(t, zone: zone), "\(id) \(t)")
            }
        }
    }

    @Test func formatsAndRoundTrips() {
        let us: Int64 = 1_795_640_751_852_258
        #expect(Timestamps.format(microseconds: us, zone: utc) == "2026-11-25 21:05:51.852258")
        #expect(Timestamps.iso(microseconds: us, zone: utc) == "2026-11-25T21:05:51.852258+00:00")
        #expect(Timestamps.parseUserTime("2h", zone: utc, now: us) == us - 7_200_000_000)
        #expect(Timestamps.parseUserTime("1795640751", zone: utc, now: 0) == 1_795_640_751_000_000)
    }

    /// What people (and fuzzers) type past the ends of time clamps to what ids can hold
    /// instead of overflowing (the HTTP fuzz pass found a crash here).
    @Test func userTimesOutOfRangeClamp() {
        let now: Int64 = 1_795_640_751_852_258
        let latest = DocumentID.microseconds(of: UInt64.max)
        #expect(Timestamps.parseUserTime("99999999999999999999999", zone: utc, now: now) == nil)
        #expect(Timestamps.parseUserTime("1e309", zone: utc, now: now) == nil)
        #expect(Timestamps.parseUserTime("100000000000w", zone: utc, now: now) == 0)
        #expect(Timestamps.parseUserTime("-1e300d", zone: utc, now: now) == latest)
        #expect(Timestamps.parseUserTime("nanm", zone: utc, now: now) == nil)
    }
}

@Suite struct LogstashDecoderTests {
    /// Every body logcollect published in the captured session decodes.
    @Test func decodesCapturedLogcollectBodies() throws {
        let path =
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path + "/Fixtures/compat/logcollect-bodies.jsonl"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let decoder = LogstashDecoder()
        var n = 0
        for line in text.split(separator: "\n") {
            var bytes = Array(line.utf8)
            let result = bytes.withUnsafeMutableBytes { decoder.decode(UnsafeRawBufferPointer($0), now: 0) }
            let doc = try result.get()
            #expect(doc.microseconds != nil)
            if case .object(let ms) = try JSONParser.parse(doc.js) {
                let keys = Set(ms.map(\.key))
                #expect(!keys.contains("@timestamp") && !keys.contains("message") && !keys.contains("@version") && !keys.contains("seq"))
                #expect(keys.isDisjoint(with: LogstashDecoder.reservedNames))
            }
            n += 1
        }
        #expect(n == 28)
    }

    @Test func renamesReservedAndKeepsValues() throws {
        let line =
            #"{"@timestamp": "2026-11-25T21:05:51.863239Z", "@version": 1, "message": "reserved keys", "seq": 7, "pk": 1, "ts": 2, "model": "m", "ms": 3, "id": 9, "ratio": 0.50}"#
        var bytes = Array(line.utf8)
        let doc = try bytes.withUnsafeMutableBytes { LogstashDecoder().decode(UnsafeRawBufferPointer($0), now: 0) }.get()
        #expect(doc.logline == "reserved keys")
        #expect(doc.sequenceHint == 7)
        #expect(doc.js == #"{"pk_x":1,"ts_x":2,"model_x":"m","ms_x":3,"id_x":9,"ratio":0.50}"#)
    }

    /// js is written from the members' ranges: keys as sent (escapes kept), renamed keys
    /// re-escaped, values byte for byte, the taken-out keys anywhere in the object.
    @Test(arguments: [
        (#"{"a" : "é" ,"@timestamp":"2026-11-25T21:05:51Z","message":"m"}"#, #"{"a":"é"}"#),
        (#"{"@timestamp":"2026-11-25T21:05:51Z","message":"m"}"#, "{}"),
        (
            #"{"p\u0061ttern":"mine","message":"m","x\"y":[1, {"z" : null}],"@timestamp":"2026-11-25T21:05:51Z"}"#,
            #"{"pattern_x":"mine","x\"y":[1, {"z" : null}]}"#
        ),
        (
            #"{"@timestamp":"2026-11-25T21:05:51Z","pattern":1,"message":"m","seq":2,"b":true,"@version":"1","c":{}}"#,
            #"{"pattern_x":1,"b":true,"c":{}}"#
        ),
    ])
    func jsKeepsWhatWasSent(_ line: String, _ js: String) throws {
        var bytes = Array(line.utf8)
        let doc = try bytes.withUnsafeMutableBytes { LogstashDecoder().decode(UnsafeRawBufferPointer($0), now: 0) }.get()
        #expect(doc.js == js)
        #expect(doc.logline == "m")
    }

    @Test(arguments: [
        (#"{"message": "x""#, RejectReason.malformedJSON),
        (#"[1, 2]"#, .notAnObject),
        (#"{"message": "x"}"#, .missingTimestamp),
        (#"{"@timestamp": "soon", "message": "x"}"#, .badTimestamp),
        (#"{"@timestamp": null, "message": "x"}"#, .badTimestamp),
    ])
    func rejects(_ line: String, _ reason: RejectReason) {
        var bytes = Array(line.utf8)
        let r = bytes.withUnsafeMutableBytes { LogstashDecoder().decode(UnsafeRawBufferPointer($0), now: 0) }
        guard case .failure(let rej) = r else {
            Issue.record("expected a rejection for \(line)")
            return
        }
        #expect(rej.reason == reason)
    }

    @Test func oversizedIsRejected() {
        var d = LogstashDecoder()
        d.maxBytes = 10
        var bytes = Array(#"{"@timestamp": "2026-11-25", "message": "long"}"#.utf8)
        let r = bytes.withUnsafeMutableBytes { d.decode(UnsafeRawBufferPointer($0), now: 0) }
        guard case .failure(let rej) = r else {
            Issue.record("expected too_large")
            return
        }
        #expect(rej.reason == .tooLarge)
    }
}

/// The fixed-place reader of the usual time shape answers exactly as the general parser
/// does, for times in that shape, near it, and broken in every field.
@Suite struct CanonicalTimeTests {
    @Test func fastPathAgreesWithGeneralParser() {
        // Seeded: the share of times in the fast path's shape is then the same every run.
        var rng = SplitMix64(seed: 27)
        let zones = [TimeZone(identifier: "UTC")!, TimeZone(identifier: "Europe/Berlin")!]
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let separators = ["T", "t", " ", "_"]
        let tails = ["", "Z", "z", "+02:00", "-0530", "Zx", " ", "Q"]
        var canonical = 0
        for _ in 0..<20_000 {
            var t = "\(Int.random(in: 1969...2100, using: &rng))-\(two(Int.random(in: 0...13, using: &rng)))"
            t += "-\(two(Int.random(in: 0...32, using: &rng)))\(separators.randomElement(using: &rng)!)"
            t += "\(two(Int.random(in: 0...24, using: &rng))):\(two(Int.random(in: 0...60, using: &rng)))"
            t += ":\(two(Int.random(in: 0...61, using: &rng)))"
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: break
            case 1: t += "." + String(repeating: "7", count: Int.random(in: 0...9, using: &rng))
            case 2: t += "," + String(Int.random(in: 0...999_999, using: &rng))
            default: t += "." + String(Int.random(in: 0...99, using: &rng)) + "x"
            }
            t += tails.randomElement(using: &rng)!
            // Now and then a byte anywhere becomes something else.
            if Int.random(in: 0..<5, using: &rng) == 0 {
                var bytes = Array(t.utf8)
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = [48, 57, 58, 45, 46, 47, 90, 65].randomElement(using: &rng)!
                t = String(decoding: bytes, as: UTF8.self)
            }
            for zone in zones {
                for zuluIsLocal in [true, false] {
                    let fixed = Timestamps.fixedOffset(of: zone)
                    t.utf8.withContiguousStorageIfAvailable { buf in
                        let b = UnsafeRawBufferPointer(buf)
                        if Timestamps.canonicalTime(b) != nil { canonical += 1 }
                        #expect(
                            Timestamps.parseISO(b, zone: zone, zuluIsLocal: zuluIsLocal, fixedOffset: fixed)
                                == Timestamps.parseAnyISO(b, zone: zone, zuluIsLocal: zuluIsLocal, fixedOffset: fixed), "\(t)")
                    }
                }
            }
        }
        // Both kinds were tried: times the fast path read and times it left to the parser.
        #expect(canonical > 5_000 && canonical < 60_000)
    }
}

/// Deterministic pseudo-random numbers (SplitMix64), so a failing run can be replayed.
private struct SplitMix64: RandomNumberGenerator {
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
