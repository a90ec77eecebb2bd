import Foundation

/// What the engine needs to know of an index: its name, how long it keeps days, and the
/// time zones of day partitions and of producers' timestamps. Settings of other layers (the
/// collector's queue binding) live in the same settings.json under keys of their own, which
/// the engine keeps in `application` and never reads.
public struct IndexSettings: Codable, Equatable, Sendable {
    public var name: String
    public var retentionDays: Int
    /// IANA zone for day boundaries (partitions, table names).
    public var timeZone: String
    /// Zone producers write `@timestamp` in (logcollect writes local time with a literal Z).
    public var producerTimeZone: String
    /// Other layers' settings by their settings.json key, stored as given.
    public var application: [String: JSONValue]

    public init(
        name: String, retentionDays: Int = 30, timeZone: String = "UTC", producerTimeZone: String = "UTC",
        application: [String: JSONValue] = [:]
    ) {
        self.name = name
        self.retentionDays = retentionDays
        self.timeZone = timeZone
        self.producerTimeZone = producerTimeZone
        self.application = application
    }

    /// The members of settings.json that are the engine's; any other is another layer's.
    static let engineKeys: Set<String> = ["name", "retention_days", "time_zone", "producer_time_zone"]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: NamedKey.self)
        name = try c.decode(String.self, forKey: NamedKey("name"))
        retentionDays = try c.decodeIfPresent(Int.self, forKey: NamedKey("retention_days")) ?? 30
        timeZone = try c.decodeIfPresent(String.self, forKey: NamedKey("time_zone")) ?? "UTC"
        producerTimeZone = try c.decodeIfPresent(String.self, forKey: NamedKey("producer_time_zone")) ?? "UTC"
        application = [:]
        for key in c.allKeys where !IndexSettings.engineKeys.contains(key.stringValue) {
            application[key.stringValue] = try c.decode(JSONValue.self, forKey: key)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: NamedKey.self)
        try c.encode(name, forKey: NamedKey("name"))
        try c.encode(retentionDays, forKey: NamedKey("retention_days"))
        try c.encode(timeZone, forKey: NamedKey("time_zone"))
        try c.encode(producerTimeZone, forKey: NamedKey("producer_time_zone"))
        for (key, value) in application where !IndexSettings.engineKeys.contains(key) {
            try c.encode(value, forKey: NamedKey(key))
        }
    }

    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_") }
    }

    public func validate() throws {
        guard IndexSettings.isValidName(name) else { throw AlcoError.invalidIndexName(name) }
        guard retentionDays >= 1 else { throw AlcoError.invalidSetting("retention_days must be at least 1") }
        guard TimeZone(identifier: timeZone) != nil else { throw AlcoError.invalidSetting("unknown time zone '\(timeZone)'") }
        guard TimeZone(identifier: producerTimeZone) != nil else {
            throw AlcoError.invalidSetting("unknown time zone '\(producerTimeZone)'")
        }
    }
}

/// Maps times to day partitions (`YYYYMMDD`) in a time zone, caching the current day's bounds
/// because every appended document asks.
struct DayCalendar: Sendable {
    let timeZone: TimeZone
    private var cached: (start: Int64, end: Int64, day: Int)?

    init(timeZone: TimeZone) { self.timeZone = timeZone }

    mutating func day(ofMicroseconds us: Int64) -> Int {
        if let c = cached, us >= c.start && us < c.end { return c.day }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        let date = Date(timeIntervalSince1970: Double(us) / 1e6)
        let comps = cal.dateComponents([.year, .month, .day], from: date)
        let day = comps.year! * 10000 + comps.month! * 100 + comps.day!
        let start = cal.startOfDay(for: date)
        let end = cal.date(byAdding: .day, value: 1, to: start)!
        cached = (Int64(start.timeIntervalSince1970 * 1e6), Int64(end.timeIntervalSince1970 * 1e6), day)
        return day
    }

    /// First µs of a `YYYYMMDD` day.
    func startMicroseconds(ofDay day: Int) -> Int64? {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        let comps = DateComponents(year: day / 10000, month: day / 100 % 100, day: day % 100)
        guard let date = cal.date(from: comps) else { return nil }
        return Int64(date.timeIntervalSince1970 * 1e6)
    }

    func day(offsetDays: Int, from day: Int) -> Int? {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        guard let date = cal.date(from: DateComponents(year: day / 10000, month: day / 100 % 100, day: day % 100)),
            let moved = cal.date(byAdding: .day, value: offsetDays, to: date)
        else { return nil }
        let c = cal.dateComponents([.year, .month, .day], from: moved)
        return c.year! * 10000 + c.month! * 100 + c.day!
    }
}
