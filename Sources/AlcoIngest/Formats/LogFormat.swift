import AlcoIndex

/// A text log format as data: a line pattern whose named groups say where the time, the level
/// and the fields are, and the time layouts to read the time with. `time` (with `date` before
/// it when the two are apart in the line) is read with the first layout that takes it;
/// `level` is normalised (`LogLevel`); `pri`, a syslog priority, gives the level when there
/// is none; every other named group is a field of the line's js (all-digit values as numbers).
public struct LogFormat: Sendable {
    /// One format as written in the built-in table or a user's formats file.
    public struct Spec: Sendable, Equatable {
        public var name: String
        public var title: String
        public var pattern: String
        public var time: [String]

        public init(name: String, title: String, pattern: String, time: [String]) {
            self.name = name
            self.title = title
            self.pattern = pattern
            self.time = time
        }
    }

    public let spec: Spec
    public var name: String { spec.name }
    let pattern: LinePattern
    let layouts: [TimeLayout]
    let timeGroup: Int?
    let dateGroup: Int?
    let levelGroup: Int?
    let priorityGroup: Int?
    let fields: [(group: Int, name: String)]
    /// Whether the time has no year (syslog, logcat): it is inferred.
    public var isYearless: Bool { layouts.contains { $0.isYearless } }

    public init(_ spec: Spec) throws {
        self.spec = spec
        let compiled = try LinePattern(spec.pattern)
        let names = compiled.groupNames
        pattern = compiled
        layouts = try spec.time.map(TimeLayout.init)
        timeGroup = names.firstIndex { $0 == "time" }
        dateGroup = names.firstIndex { $0 == "date" }
        levelGroup = names.firstIndex { $0 == "level" }
        priorityGroup = names.firstIndex { $0 == "pri" }
        guard timeGroup == nil || !layouts.isEmpty else { throw FormatError("format '\(spec.name)' has a time group and no time layout") }
        let special: Set<String> = ["time", "date", "level", "pri", "body"]
        fields = names.enumerated().compactMap { i, name in
            guard let name, !special.contains(name) else { return nil }
            return (i, name)
        }
    }

    /// The built-in formats, most specific first (detection prefers the earlier on a tie).
    public static let builtIn: [LogFormat] = BuiltInFormats.specs.map { spec in
        do {
            return try LogFormat(spec)
        } catch {
            fatalError("built-in format \(spec.name): \(error)")
        }
    }

    public static func named(_ name: String, among formats: [LogFormat]) -> LogFormat? {
        formats.first { $0.name == name }
    }

    /// Formats from a user's file: a JSON array of objects with `name`, `pattern` (RE2 syntax,
    /// named groups `time`, `date`, `level`, `pri` and any field), `time` (a layout or a list
    /// of them, see `TimeLayout`) and optionally `title`.
    public static func load(json text: String) throws -> [LogFormat] {
        guard case .array(let items) = try JSONParser.parse(text) else { throw FormatError("a formats file is a JSON array of formats") }
        return try items.enumerated().map { k, item in
            guard case .object(let members) = item else { throw FormatError("format \(k + 1) is not an object") }
            func string(_ key: String) -> String? {
                if case .string(let s)? = members.first(where: { $0.key == key })?.value { return s }
                return nil
            }
            guard let name = string("name"), !name.isEmpty else { throw FormatError("format \(k + 1) has no name") }
            guard let pattern = string("pattern") else { throw FormatError("format '\(name)' has no pattern") }
            var times: [String] = []
            switch members.first(where: { $0.key == "time" })?.value {
            case .string(let s)?: times = [s]
            case .array(let xs)?: times = xs.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
            default: break
            }
            return try LogFormat(Spec(name: name, title: string("title") ?? name, pattern: pattern, time: times))
        }
    }
}

/// Levels as ALCO's `levelname` has them, from what lines write (`E`, `warn`, `SEVERE`, `notice`).
public enum LogLevel {
    public static func normalized(_ written: Substring) -> String? {
        switch written.lowercased() {
        case "trace", "debug", "d", "v", "verbose", "fine", "finer", "finest", "dbg", "debug1", "debug2", "debug3": return "DEBUG"
        case "info", "i", "notice", "information", "informational", "n", "inf": return "INFO"
        case "warn", "warning", "w", "wrn": return "WARNING"
        case "error", "err", "e", "severe", "failure", "fail": return "ERROR"
        case "critical", "crit", "fatal", "f", "a", "assert", "emerg", "emergency", "alert", "panic", "c": return "CRITICAL"
        default: return nil
        }
    }

    /// A syslog priority's severity (priority mod 8).
    public static func fromPriority(_ priority: Int) -> String {
        switch priority % 8 {
        case 0, 1, 2: return "CRITICAL"
        case 3: return "ERROR"
        case 4: return "WARNING"
        case 7: return "DEBUG"
        default: return "INFO"
        }
    }
}
