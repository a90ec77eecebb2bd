import AlcoIndex
import AlcoIngest
import Foundation

/// Writes hits as the API's JSON objects straight into bytes: the stored `js` text goes out
/// as received rather than parsed and re-serialized, and the date text of a second is
/// formatted once, since log lines come many to a second. Exports of millions of lines
/// spend their time here.
struct HitEncoder {
    let zone: TimeZone
    let highlighter: Highlighter?
    private var cachedSecond = Int64.min
    private var cachedDate: [UInt8] = []
    private var cachedOffset: [UInt8] = []

    init(zone: TimeZone, highlighter: Highlighter? = nil) {
        self.zone = zone
        self.highlighter = highlighter
    }

    mutating func write(_ h: Hit, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"id":""#.utf8)
        out.append(contentsOf: String(h.id).utf8)
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
                out.append(contentsOf: "[\(span.lowerBound),\(span.upperBound)]".utf8)
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "}"))
    }

    /// `2026-11-25T21:05:51.852258+00:00`, as `Timestamps.iso` writes it.
    private mutating func writeDate(microseconds us: Int64, to out: inout [UInt8]) {
        let second = us >= 0 ? us / 1_000_000 : (us - 999_999) / 1_000_000
        if second != cachedSecond {
            let full = Array(Timestamps.iso(microseconds: second * 1_000_000, zone: zone).utf8)
            // "YYYY-MM-DDTHH:MM:SS" + ".000000" + "+HH:MM"
            let dot = full.firstIndex(of: UInt8(ascii: ".")) ?? full.count
            cachedDate = Array(full[..<dot])
            cachedOffset = dot + 7 <= full.count ? Array(full[(dot + 7)...]) : []
            cachedSecond = second
        }
        out.append(contentsOf: cachedDate)
        out.append(UInt8(ascii: "."))
        let fraction = Int(us - second * 1_000_000)
        var divisor = 100_000
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(fraction / divisor % 10))
            divisor /= 10
        }
        out.append(contentsOf: cachedOffset)
    }
}
