import AlcoIndex
import AlcoIngest
import Foundation

/// Writes hits as the API's JSON objects straight into bytes: the stored `js` text goes out
/// as received rather than parsed and re-serialized, numbers and dates are written digit by
/// digit, and the zone's offset is looked up once per quarter hour (offsets change on
/// quarter hours). Exports of millions of lines spend their time here.
struct HitEncoder {
    let zone: TimeZone
    let highlighter: Highlighter?
    private var cachedSecond = Int64.min
    private var cachedDate: [UInt8] = []
    private var cachedSlot = Int64.min
    private var offsetSeconds = 0
    private var offsetText: [UInt8] = []

    init(zone: TimeZone, highlighter: Highlighter? = nil) {
        self.zone = zone
        self.highlighter = highlighter
    }

    mutating func write(_ h: Hit, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"id":""#.utf8)
        Self.writeDigits(h.id, to: &out)
        out.append(contentsOf: #"","datetime":""#.utf8)
        writeDate(microseconds: DocumentID.microseconds(of: h.id), to: &out)
        out.append(contentsOf: #"","logline":"#.utf8)
        JSONValue.writeString(h.logline, to: &out)
        out.append(contentsOf: #","js":"#.utf8)
        if h.js.isEmpty { out.append(contentsOf: "{}".utf8) } else { out.append(contentsOf: h.js.utf8) }
        if let highlighter {
            out.append(contentsOf: #","highlight":["#.utf8)
            for (i, span) in UTF16Spans.convert(highlighter.ranges(in: h.logline), in: h.logline).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "["))
                Self.writeDigits(UInt64(span.lowerBound), to: &out)
                out.append(UInt8(ascii: ","))
                Self.writeDigits(UInt64(span.upperBound), to: &out)
                out.append(UInt8(ascii: "]"))
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Hits separated by commas (the inside of a JSON array).
    mutating func write(_ hits: [Hit], to out: inout [UInt8]) {
        for (i, h) in hits.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            write(h, to: &out)
        }
    }

    static func writeDigits(_ value: UInt64, to out: inout [UInt8]) {
        var digits: (UInt64, Int) = (1, 1)
        while digits.1 < 20 && value / digits.0 >= 10 { digits = (digits.0 * 10, digits.1 + 1) }
        var divisor = digits.0
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    static func writeFixed(_ value: Int, width: Int, to out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    /// `2026-11-25T21:05:51.852258+00:00`, as `Timestamps.iso` writes it.
    private mutating func writeDate(microseconds us: Int64, to out: inout [UInt8]) {
        let second = us >= 0 ? us / 1_000_000 : (us - 999_999) / 1_000_000
        if second / 900 != cachedSlot {
            cachedSlot = second / 900
            offsetSeconds = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(second)))
            let a = abs(offsetSeconds)
            offsetText = [offsetSeconds < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")]
            Self.writeFixed(a / 3600, width: 2, to: &offsetText)
            offsetText.append(UInt8(ascii: ":"))
            Self.writeFixed(a / 60 % 60, width: 2, to: &offsetText)
            cachedSecond = Int64.min
        }
        if second != cachedSecond {
            let local = second + Int64(offsetSeconds)
            var days = Int(local / 86400)
            var rem = Int(local % 86400)
            if rem < 0 {
                rem += 86400
                days -= 1
            }
            let (y, m, d) = Timestamps.civilFromDays(days)
            cachedDate.removeAll(keepingCapacity: true)
            Self.writeFixed(y, width: 4, to: &cachedDate)
            cachedDate.append(UInt8(ascii: "-"))
            Self.writeFixed(m, width: 2, to: &cachedDate)
            cachedDate.append(UInt8(ascii: "-"))
            Self.writeFixed(d, width: 2, to: &cachedDate)
            cachedDate.append(UInt8(ascii: "T"))
            Self.writeFixed(rem / 3600, width: 2, to: &cachedDate)
            cachedDate.append(UInt8(ascii: ":"))
            Self.writeFixed(rem / 60 % 60, width: 2, to: &cachedDate)
            cachedDate.append(UInt8(ascii: ":"))
            Self.writeFixed(rem % 60, width: 2, to: &cachedDate)
            cachedSecond = second
        }
        out.append(contentsOf: cachedDate)
        out.append(UInt8(ascii: "."))
        Self.writeFixed(Int(us - second * 1_000_000), width: 6, to: &out)
        out.append(contentsOf: offsetText)
    }
}
