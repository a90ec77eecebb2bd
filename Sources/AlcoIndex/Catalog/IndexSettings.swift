import Foundation

/// ALCO's `LoggerIndex` settings plus the time zone of day partitions.
public struct IndexSettings: Codable, Equatable, Sendable {
    public var name: String
    public var retentionDays: Int
    public var queue: String
    public var routingKeys: [String]
    public var durable: Bool
    /// IANA zone for day boundaries (partitions, table names).
    public var timeZone: String
    /// Zone producers write `@timestamp` in (logcollect writes local time with a literal Z).
    public var producerTimeZone: String
    /// RabbitMQ consumers (connections) for this index, like ALCO's `num_processes`; nil: the
    /// server's default.
    public var consumers: Int?

    public init(
        name: String, retentionDays: Int = 30, queue: String = "logstash",
        routingKeys: [String] = ["logstash.#"], durable: Bool = false, timeZone: String = "UTC",
        producerTimeZone: String = "UTC", consumers: Int? = nil
    ) {
        self.name = name
        self.retentionDays = retentionDays
        self.queue = queue
        self.routingKeys = routingKeys
        self.durable = durable
        self.timeZone = timeZone
        self.producerTimeZone = producerTimeZone
        self.consumers = consumers
    }

    enum CodingKeys: String, CodingKey {
        case name, retentionDays = "retention_days", queue, routingKeys = "routing_keys", durable
        case timeZone = "time_zone", producerTimeZone = "producer_time_zone", consumers
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        retentionDays = try c.decodeIfPresent(Int.self, forKey: .retentionDays) ?? 30
        queue = try c.decodeIfPresent(String.self, forKey: .queue) ?? "logstash"
        routingKeys = try c.decodeIfPresent([String].self, forKey: .routingKeys) ?? ["logstash.#"]
        durable = try c.decodeIfPresent(Bool.self, forKey: .durable) ?? false
        timeZone = try c.decodeIfPresent(String.self, forKey: .timeZone) ?? "UTC"
        producerTimeZone = try c.decodeIfPresent(String.self, forKey: .producerTimeZone) ?? "UTC"
        consumers = try c.decodeIfPresent(Int.self, forKey: .consumers)
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
        guard !queue.isEmpty else { throw AlcoError.invalidSetting("queue must not be empty") }
        if let consumers, !(1...64).contains(consumers) {
            throw AlcoError.invalidSetting("consumers must be from 1 to 64, not \(consumers)")
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
