import Foundation

/// How a log format writes its time, in strptime's spirit (what lnav's formats use):
/// `%Y` four-digit year, `%y` two-digit year (69-99 → 19xx), `%m` month, `%d` day, `%H` `%M`
/// `%S` hour, minute, second (one or two digits each), `%f` an optional fraction after `.`, `,`
/// or `:`, `%L` milliseconds as a number of one to three digits (`:16` is 16 ms), `%b` a month name, `%a` a weekday name (skipped), `%z` an optional zone (`Z`, `UTC`,
/// `+hh`, `+hhmm`, `+hh:mm`), `%s` seconds since the epoch, `%T` `T` or a space. A space matches
/// one or more spaces; any other character itself. Parsing is hand-written and allocation-free:
/// it runs once per line.
public struct TimeLayout: Sendable, Equatable, CustomStringConvertible {
    enum Token: Sendable, Equatable {
        case year4, year2, month, day, hour, minute, second, fraction, milliseconds, monthName, weekdayName, zone, epoch, tee, space
        case literal(UInt8)
    }

    let tokens: [Token]
    public let description: String
    /// Neither a year nor an epoch: the year is inferred (`YearInference`).
    public let isYearless: Bool

    public init(_ text: String) throws {
        var tokens: [Token] = []
        var bytes = Array(text.utf8)[...]
        while let c = bytes.popFirst() {
            if c == UInt8(ascii: "%") {
                guard let k = bytes.popFirst() else { throw FormatError("time layout '\(text)' ends with '%'") }
                switch k {
                case UInt8(ascii: "Y"): tokens.append(.year4)
                case UInt8(ascii: "y"): tokens.append(.year2)
                case UInt8(ascii: "m"): tokens.append(.month)
                case UInt8(ascii: "d"), UInt8(ascii: "e"): tokens.append(.day)
                case UInt8(ascii: "H"): tokens.append(.hour)
                case UInt8(ascii: "M"): tokens.append(.minute)
                case UInt8(ascii: "S"): tokens.append(.second)
                case UInt8(ascii: "f"): tokens.append(.fraction)
                case UInt8(ascii: "L"): tokens.append(.milliseconds)
                case UInt8(ascii: "b"): tokens.append(.monthName)
                case UInt8(ascii: "a"): tokens.append(.weekdayName)
                case UInt8(ascii: "z"): tokens.append(.zone)
                case UInt8(ascii: "s"): tokens.append(.epoch)
                case UInt8(ascii: "T"): tokens.append(.tee)
                case UInt8(ascii: "%"): tokens.append(.literal(c))
                default: throw FormatError("time layout '\(text)': unknown directive '%\(Character(UnicodeScalar(k)))'")
                }
            } else if c == UInt8(ascii: " ") {
                tokens.append(.space)
            } else {
                tokens.append(.literal(c))
            }
        }
        self.tokens = tokens
        description = text
        isYearless = !tokens.contains(.year4) && !tokens.contains(.year2) && !tokens.contains(.epoch)
    }

    /// A time as written: its fields, or seconds since the epoch.
    public struct Parsed: Equatable, Sendable {
        public var year: Int?
        public var month = 1
        public var day = 1
        public var hour = 0
        public var minute = 0
        public var second = 0
        public var microsecond = 0
        /// Seconds east of UTC, when the text says.
        public var offset: Int?
        public var epochSeconds: Int64?
    }

    private static let monthNames: [UInt32] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].map {
        let b = Array($0.utf8)
        return UInt32(b[0]) << 16 | UInt32(b[1]) << 8 | UInt32(b[2])
    }

    /// The time at the start of `text`, or nil when it does not follow the layout.
    public func parse(_ text: UnsafeRawBufferPointer) -> Parsed? {
        var p = Parsed()
        var i = 0
        let n = text.count
        @inline(__always) func digits(_ min: Int, _ max: Int) -> Int? {
            var v = 0
            var k = 0
            while k < max, i < n, text[i] >= 0x30, text[i] <= 0x39 {
                v = v * 10 + Int(text[i] - 0x30)
                i += 1
                k += 1
            }
            return k >= min ? v : nil
        }
        @inline(__always) func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a }
        for token in tokens {
            switch token {
            case .year4: guard let v = digits(4, 4) else { return nil }; p.year = v
            case .year2: guard let v = digits(2, 2) else { return nil }; p.year = v < 69 ? 2000 + v : 1900 + v
            case .month: guard let v = digits(1, 2), (1...12).contains(v) else { return nil }; p.month = v
            case .day: guard let v = digits(1, 2), (1...31).contains(v) else { return nil }; p.day = v
            case .hour: guard let v = digits(1, 2), v < 24 else { return nil }; p.hour = v
            case .minute: guard let v = digits(1, 2), v < 60 else { return nil }; p.minute = v
            case .second: guard let v = digits(1, 2), v <= 60 else { return nil }; p.second = min(v, 59)
            case .fraction:
                guard i + 1 < n, text[i] == UInt8(ascii: ".") || text[i] == UInt8(ascii: ",") || text[i] == UInt8(ascii: ":"),
                    text[i + 1] >= 0x30, text[i + 1] <= 0x39
                else { continue }
                i += 1
                var micros = 0
                var k = 0
                while i < n, text[i] >= 0x30, text[i] <= 0x39 {
                    if k < 6 { micros = micros * 10 + Int(text[i] - 0x30) }
                    k += 1
                    i += 1
                }
                for _ in min(k, 6)..<6 { micros *= 10 }
                p.microsecond = micros
            case .milliseconds:
                guard let v = digits(1, 3) else { return nil }
                p.microsecond = v * 1000
            case .monthName:
                guard i + 2 < n, isLetter(text[i]), isLetter(text[i + 1]), isLetter(text[i + 2]) else { return nil }
                let key = UInt32(text[i] | 0x20) << 16 | UInt32(text[i + 1] | 0x20) << 8 | UInt32(text[i + 2] | 0x20)
                guard let m = TimeLayout.monthNames.firstIndex(of: key) else { return nil }
                p.month = m + 1
                i += 3
                while i < n, isLetter(text[i]) { i += 1 }  // "June", "September"
            case .weekdayName:
                let start = i
                while i < n, isLetter(text[i]) { i += 1 }
                guard i - start >= 3 else { return nil }
            case .zone:
                if i < n, text[i] == UInt8(ascii: "Z") {
                    p.offset = 0
                    i += 1
                } else if i + 2 < n, text[i] == UInt8(ascii: "U"), text[i + 1] == UInt8(ascii: "T"), text[i + 2] == UInt8(ascii: "C") {
                    p.offset = 0
                    i += 3
                } else if i + 2 < n, text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") {
                    let sign = text[i] == UInt8(ascii: "-") ? -1 : 1
                    let save = i
                    i += 1
                    guard let hh = digits(2, 2) else { i = save; continue }
                    if i < n, text[i] == UInt8(ascii: ":") { i += 1 }
                    let mm = digits(2, 2) ?? 0
                    guard hh <= 14, mm < 60 else { return nil }
                    p.offset = sign * (hh * 3600 + mm * 60)
                }
            case .epoch:
                guard let v = digits(9, 12) else { return nil }
                p.epochSeconds = Int64(v)
            case .tee:
                guard i < n, text[i] == UInt8(ascii: "T") || text[i] == UInt8(ascii: " ") else { return nil }
                i += 1
            case .space:
                guard i < n, text[i] == 0x20 else { return nil }
                while i < n, text[i] == 0x20 { i += 1 }
            case .literal(let c):
                guard i < n, text[i] == c else { return nil }
                i += 1
            }
        }
        if p.epochSeconds == nil, p.day > TimeLayout.daysIn(month: p.month, year: p.year ?? 2000) { return nil }
        return p
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// A problem in a format definition (a user's formats file, a layout).
public struct FormatError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Turns parsed times into µs since the epoch in a zone (the line's own offset first), with
/// the zone's offset cached per hour, and infers the year of year-less formats: the latest
/// year that does not put the first line after the file's modification time, then forward
/// one year whenever a line goes back by more than a day (December → January).
public struct TimeResolver: Sendable {
    let zone: TimeZone
    /// µs of the file's modification time (or now, for a stream).
    let reference: Int64
    private var year: Int?
    private var last: Int64?
    private var cachedHour: Int64 = .min
    private var cachedOffset = 0

    public init(zone: TimeZone, referenceMicroseconds: Int64) {
        self.zone = zone
        self.reference = referenceMicroseconds
    }

    public mutating func microseconds(_ p: TimeLayout.Parsed) -> Int64? {
        if let epoch = p.epochSeconds {
            return remember(epoch * 1_000_000 + Int64(p.microsecond))
        }
        if let y = p.year { return remember(micros(p, year: y)) }
        let day: Int64 = 86_400 * 1_000_000
        if year == nil {
            let y = TimeResolver.year(ofMicroseconds: reference)
            year = micros(p, year: y) > reference + day ? y - 1 : y
        }
        var t = micros(p, year: year!)
        if let last, t < last - day {
            year! += 1
            t = micros(p, year: year!)
        }
        return remember(t)
    }

    private mutating func remember(_ t: Int64) -> Int64 {
        last = t
        return t
    }

    private mutating func micros(_ p: TimeLayout.Parsed, year: Int) -> Int64 {
        let days = Int64(Timestamps.daysFromCivil(year, p.month, min(p.day, TimeLayout.daysIn(month: p.month, year: year))))
        let naive = days * 86_400 + Int64(p.hour * 3600 + p.minute * 60 + p.second)
        let offset: Int
        if let o = p.offset {
            offset = o
        } else {
            let hour = naive / 3600
            if hour != cachedHour {
                cachedHour = hour
                // The offset in force at that wall-clock time (a guess first, then corrected).
                let guess = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(naive)))
                cachedOffset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(naive - Int64(guess))))
            }
            offset = cachedOffset
        }
        return (naive - Int64(offset)) * 1_000_000 + Int64(p.microsecond)
    }

    static func year(ofMicroseconds us: Int64) -> Int {
        let days = Int((us >= 0 ? us : us - 86_399_999_999) / 86_400_000_000)
        return Timestamps.civilFromDays(days).0
    }
}
