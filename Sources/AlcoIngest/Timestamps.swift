import AlcoIndex
import Foundation

/// Parses and prints the times logs carry, without DateFormatter on the hot path.
public enum Timestamps {
    /// Days from 1970-01-01 to a civil date (proleptic Gregorian).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// Parses `YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]][Z|±HH[:]MM]` (or a bare date). A time without
    /// an explicit offset, or with logcollect's literal `Z`, is read in `zone` when
    /// `zuluIsLocal` is set (logcollect writes local time with a Z), else Z means UTC.
    public static func parseISO(_ text: String, zone: TimeZone, zuluIsLocal: Bool = true) -> Int64? {
        var text = text
        return text.withUTF8 { parseISO(UnsafeRawBufferPointer($0), zone: zone, zuluIsLocal: zuluIsLocal) }
    }

    /// `parseISO` over the text's bytes. `fixedOffset` is the zone's offset when it never
    /// changes (UTC, most servers): then no time-zone lookup per message.
    public static func parseISO(
        _ b: UnsafeRawBufferPointer, zone: TimeZone, zuluIsLocal: Bool = true, fixedOffset: Int? = nil
    ) -> Int64? {
        if let t = canonicalTime(b) {
            return utc(wall: t.wall, micros: t.micros, offsetSeconds: t.zulu && !zuluIsLocal ? 0 : nil, zone: zone, fixedOffset: fixedOffset)
        }
        return parseAnyISO(b, zone: zone, zuluIsLocal: zuluIsLocal, fixedOffset: fixedOffset)
    }

    /// `parseISO` for every shape it accepts, field by field.
    static func parseAnyISO(_ b: UnsafeRawBufferPointer, zone: TimeZone, zuluIsLocal: Bool, fixedOffset: Int?) -> Int64? {
        var i = 0
        func num(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let y = num(4), expect(45), let mo = num(2), expect(45), let d = num(2),
            (1...12).contains(mo), (1...31).contains(d)
        else { return nil }
        var h = 0, mi = 0, s = 0, micros = 0
        if i < b.count && (b[i] == 84 || b[i] == 32 || b[i] == 116) {
            i += 1
            guard let hh = num(2), expect(58), let mm = num(2), hh < 24, mm < 60 else { return nil }
            h = hh
            mi = mm
            if expect(58) {
                guard let ss = num(2), ss <= 60 else { return nil }
                s = ss
                guard let f = fraction(b, &i) else { return nil }
                micros = f
            }
        }
        var offsetSeconds: Int?
        if i < b.count {
            if b[i] == 90 || b[i] == 122 {  // Z
                i += 1
                offsetSeconds = zuluIsLocal ? nil : 0
            } else if b[i] == 43 || b[i] == 45 {
                let sign = b[i] == 45 ? -1 : 1
                i += 1
                guard let oh = num(2) else { return nil }
                _ = expect(58)
                let om = num(2) ?? 0
                offsetSeconds = sign * (oh * 3600 + om * 60)
            }
        }
        guard i == b.count else { return nil }
        let wall = Int64(daysFromCivil(y, mo, d)) * 86400 + Int64(h * 3600 + mi * 60 + s)
        return utc(wall: wall, micros: micros, offsetSeconds: offsetSeconds, zone: zone, fixedOffset: fixedOffset)
    }

    /// Microseconds since the epoch of a wall time: at `offsetSeconds` when the text gave one,
    /// else in `zone` (at its `fixedOffset`, when it has one).
    @inline(__always)
    private static func utc(wall: Int64, micros: Int, offsetSeconds: Int?, zone: TimeZone, fixedOffset: Int?) -> Int64 {
        let offset: Int64
        if let o = offsetSeconds ?? fixedOffset {
            offset = Int64(o)
        } else {
            offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(wall))))
        }
        return (wall - offset) * 1_000_000 + Int64(micros)
    }

    /// The fraction of a second at `i` in microseconds (digits past six ignored), leaving `i`
    /// after it: 0 when there is none, nil for a separator without digits.
    @inline(__always)
    private static func fraction(_ b: UnsafeRawBufferPointer, _ i: inout Int) -> Int? {
        guard i < b.count && (b[i] == 46 || b[i] == 44) else { return 0 }
        i += 1
        var micros = 0
        var digits = 0
        while i < b.count, b[i] >= 48, b[i] <= 57 {
            if digits < 6 { micros = micros * 10 + Int(b[i] - 48) }
            digits += 1
            i += 1
        }
        guard digits > 0 else { return nil }
        if digits < 6 { for _ in digits..<6 { micros *= 10 } }
        return micros
    }

    /// The shape nearly every log line's time has, `YYYY-MM-DD[T ]HH:MM:SS[.f…][Z]`, read at
    /// fixed places (the general parser cost ~800 instructions a line); nil for any other
    /// shape or a field out of range, which the general parser then reads or rejects.
    @inline(__always)
    static func canonicalTime(_ b: UnsafeRawBufferPointer) -> (wall: Int64, micros: Int, zulu: Bool)? {
        let n = b.count
        guard n >= 19, let p = b.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        @inline(__always) func digit(_ k: Int) -> Int? {
            let v = p[k] &- 48
            return v < 10 ? Int(v) : nil
        }
        @inline(__always) func two(_ k: Int) -> Int? {
            guard let a = digit(k), let c = digit(k + 1) else { return nil }
            return a * 10 + c
        }
        guard p[4] == 45, p[7] == 45, p[10] == 84 || p[10] == 116 || p[10] == 32, p[13] == 58, p[16] == 58,
            let century = two(0), let year = two(2), let mo = two(5), let d = two(8),
            let h = two(11), let mi = two(14), let s = two(17),
            (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s <= 60
        else { return nil }
        var i = 19
        guard let micros = fraction(b, &i) else { return nil }
        var zulu = false
        if i < n && (p[i] == 90 || p[i] == 122) {
            zulu = true
            i += 1
        }
        guard i == n else { return nil }
        let wall = Int64(daysFromCivil(century * 100 + year, mo, d)) * 86400 + Int64(h * 3600 + mi * 60 + s)
        return (wall, micros, zulu)
    }

    /// The zone's offset from UTC if it never changed since 1970: no daylight saving
    /// transitions and the same offset then as now (nil otherwise: look it up per time).
    public static func fixedOffset(of zone: TimeZone) -> Int? {
        let epoch = Date(timeIntervalSince1970: 0)
        guard zone.nextDaylightSavingTimeTransition(after: epoch) == nil,
            zone.secondsFromGMT(for: epoch) == zone.secondsFromGMT(for: Date())
        else { return nil }
        return zone.secondsFromGMT()
    }

    /// A number of seconds, milliseconds or microseconds since the epoch, by magnitude.
    public static func fromEpoch(_ value: Double) -> Int64? {
        guard value.isFinite, value > 0, value < 9e18 else { return nil }
        if value < 1e11 { return Int64(value * 1e6) }
        if value < 1e14 { return Int64(value * 1e3) }
        return Int64(value)
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff` in `zone`.
    public static func format(microseconds us: Int64, zone: TimeZone, fraction: Bool = true) -> String {
        let seconds = us / 1_000_000
        let offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds))))
        let local = seconds + offset
        var days = Int(local / 86400)
        var rem = Int(local % 86400)
        if rem < 0 {
            rem += 86400
            days -= 1
        }
        let (y, m, d) = civilFromDays(days)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var s = "\(y)-\(two(m))-\(two(d)) \(two(rem / 3600)):\(two(rem / 60 % 60)):\(two(rem % 60))"
        if fraction {
            let f = String(((us % 1_000_000) + 1_000_000) % 1_000_000)
            s += "." + String(repeating: "0", count: 6 - f.count) + f
        }
        return s
    }

    /// ISO 8601 with offset (`2026-11-25T21:05:51.852258+00:00`), for JSON output.
    public static func iso(microseconds us: Int64, zone: TimeZone) -> String {
        let seconds = us / 1_000_000
        let offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds)))
        let base = format(microseconds: us, zone: zone).replacingOccurrences(of: " ", with: "T")
        let sign = offset < 0 ? "-" : "+"
        let a = abs(offset)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return base + sign + two(a / 3600) + ":" + two(a / 60 % 60)
    }

    /// Times a person types: ISO dates and times (in `zone` unless they carry an offset), epoch
    /// seconds, or an age like `15m`, `2h`, `3d`, `1w` meaning that long before `now`.
    public static func parseUserTime(_ text: String, zone: TimeZone, now: Int64) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let last = t.last, "smhdw".contains(last), let n = Double(t.dropLast()) {
            let unit: Double = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800][String(last)]!
            return representable(Double(now) - n * unit * 1e6)
        }
        if let v = Double(t), !t.contains("-") { return fromEpoch(v).flatMap { representable(Double($0)) } }
        if t == "now" { return now }
        return parseISO(t, zone: zone, zuluIsLocal: false).flatMap { representable(Double($0)) }
    }

    /// The latest time an id can hold.
    static let maxMicroseconds = DocumentID.microseconds(of: UInt64.max)

    /// A time in µs clamped to what ids can express (before 1970 is 1970); nil for NaN.
    static func representable(_ us: Double) -> Int64? {
        guard !us.isNaN else { return nil }
        return us <= 0 ? 0 : us >= Double(maxMicroseconds) ? maxMicroseconds : Int64(us)
    }
}
