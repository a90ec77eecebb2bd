import Foundation

/// ALCO's `LoggerColumn` as the engine keeps it: a js key seen in an index, whether its
/// values are collected (`filtered`), dropped at ingest (`excluded`) or full-text indexed
/// (`indexed`). Flags of other layers (the web UI's `display` and `context`) are kept beside
/// them in columns.json, under their own keys, and never read here.
public struct Column: Equatable, Sendable {
    public var name: String
    public var filtered: Bool
    public var excluded: Bool
    public var indexed: Bool
    public var firstSeen: Int64
    public var lastSeen: Int64
    /// Other layers' flags by name, stored as given.
    public var applicationFlags: [String: Bool]

    /// Keys that hold long text (tracebacks): not offered as filters.
    public static let longTextKeys: Set<String> = ["exc_info", "stack_info", "traceback", "exc_text", "stack_trace"]

    /// The members of a column in columns.json that are the engine's; any other is a flag of
    /// another layer.
    static let engineKeys: Set<String> = ["name", "filtered", "excluded", "indexed", "first_seen", "last_seen"]

    public init(
        name: String, filtered: Bool, excluded: Bool, indexed: Bool, firstSeen: Int64, lastSeen: Int64,
        applicationFlags: [String: Bool] = [:]
    ) {
        self.name = name
        self.filtered = filtered
        self.excluded = excluded
        self.indexed = indexed
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.applicationFlags = applicationFlags
    }

    /// A column as columns.json holds it: the engine's members, and any other member a flag
    /// of another layer.
    init(_ fields: JSONFields) throws {
        name = try fields.string("name")
        filtered = try fields.bool("filtered")
        excluded = try fields.bool("excluded")
        indexed = try fields.bool("indexed")
        firstSeen = try fields.integer("first_seen")
        lastSeen = try fields.integer("last_seen")
        applicationFlags = [:]
        for (key, value) in fields.members where !Column.engineKeys.contains(key) {
            guard let flag = JSONFields.bool(value) else {
                throw JSONFields.Problem(description: "\(fields.context).\(key) is not true or false")
            }
            applicationFlags[key] = flag
        }
    }

    /// A newly seen key: everything but long text is offered as a filter.
    static func make(_ name: String, at time: Int64) -> Column {
        Column(
            name: name, filtered: !longTextKeys.contains(name), excluded: false, indexed: false,
            firstSeen: time, lastSeen: time)
    }
}

/// Distinct values of a filtered column with the time each was last seen (ALCO kept them in
/// Redis sorted sets); bounded, with a count of values that did not fit.
public struct ColumnValues: Equatable, Sendable {
    public var lastSeen: [String: Int64] = [:]
    public var dropped: Int = 0

    public init() {}

    init(_ fields: JSONFields) throws {
        dropped = try fields.integer("dropped")
        let seen = try fields.object("lastSeen")
        for (value, time) in seen.members {
            guard let t = JSONFields.integer(time, as: Int64.self) else {
                throw JSONFields.Problem(description: "\(seen.context) of \(value) is not an integer in range")
            }
            lastSeen[value] = t
        }
    }
}

/// Every key ever seen in an index's `js`, with flags and distinct values.
public final class ColumnRegistry: @unchecked Sendable {
    public static let maxValuesPerColumn = 1000
    public static let maxValueLength = 256
    /// Keys registered per index: beyond it a key is still stored, searched and filtered on
    /// (segments keep it), but not listed, so lines whose keys only they have (request ids as
    /// keys) cannot grow the registry and columns.json without bound.
    public static let maxColumns = 10_000
    /// What went wrong reading columns.json at open (it was moved to quarantine), if anything.
    public let loadProblem: String?
    private let lock = ConditionLock()
    /// Held across a save, so saves land in the order they took their snapshots.
    private let saveLock = ConditionLock()
    private var columns: [String: Column] = [:]
    private var values: [String: ColumnValues] = [:]
    private var dirty = false
    let path: String

    struct Stored {
        var columns: [Column]
        var values: [String: ColumnValues]

        /// Reads what `encoded()` writes (JSON; members in any order).
        static func decode(_ bytes: [UInt8]) throws -> Stored {
            let top = try JSONFields(try JSONParser.parse(bytes), "columns file")
            let columns = try top.array("columns").enumerated().map { k, c in try Column(try JSONFields(c, "column \(k)")) }
            var values: [String: ColumnValues] = [:]
            let byColumn = try top.object("values")
            for (name, v) in byColumn.members { values[name] = try ColumnValues(try JSONFields(v, "values of \(name)")) }
            return Stored(columns: columns, values: values)
        }

        /// The JSON `decode` reads back, written directly: a registry of thousands of
        /// columns is saved after every seal that saw something new, and Foundation's
        /// encoder took most of such a seal's time.
        func encoded() -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(columns.count * 160)
            func key(_ k: String) {
                JSONValue.writeString(k, to: &out)
                out.append(UInt8(ascii: ":"))
            }
            func bool(_ b: Bool) { out.append(contentsOf: (b ? "true" : "false").utf8) }
            func int(_ n: Int64) { out.append(contentsOf: String(n).utf8) }
            out.append(contentsOf: #"{"columns":["#.utf8)
            for (k, c) in columns.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "{"))
                key("excluded"); bool(c.excluded); out.append(UInt8(ascii: ","))
                key("filtered"); bool(c.filtered); out.append(UInt8(ascii: ","))
                key("first_seen"); int(c.firstSeen); out.append(UInt8(ascii: ","))
                key("indexed"); bool(c.indexed); out.append(UInt8(ascii: ","))
                key("last_seen"); int(c.lastSeen); out.append(UInt8(ascii: ","))
                for flag in c.applicationFlags.keys.sorted() where !Column.engineKeys.contains(flag) {
                    key(flag); bool(c.applicationFlags[flag]!); out.append(UInt8(ascii: ","))
                }
                key("name"); JSONValue.writeString(c.name, to: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(contentsOf: #"],"values":{"#.utf8)
            for (k, name) in values.keys.sorted().enumerated() {
                let v = values[name]!
                if k > 0 { out.append(UInt8(ascii: ",")) }
                key(name)
                out.append(UInt8(ascii: "{"))
                key("dropped"); int(Int64(v.dropped)); out.append(UInt8(ascii: ","))
                key("lastSeen")
                out.append(UInt8(ascii: "{"))
                for (j, value) in v.lastSeen.keys.sorted().enumerated() {
                    if j > 0 { out.append(UInt8(ascii: ",")) }
                    key(value)
                    int(v.lastSeen[value]!)
                }
                out.append(contentsOf: "}}".utf8)
            }
            out.append(contentsOf: "}}".utf8)
            return out
        }
    }

    /// Reads `path`; a file that exists but cannot be read is moved into `quarantine` and
    /// reported (`loadProblem`), never taken as an empty registry that the next save would
    /// write over it.
    init(path: String, quarantine: String) {
        self.path = path
        guard FileSystem.exists(path) else {
            loadProblem = nil
            return
        }
        do {
            let stored = try Stored.decode(try FileSystem.readAll(path))
            for c in stored.columns { columns[c.name] = c }
            values = stored.values
            loadProblem = nil
        } catch {
            let moved = (try? FileSystem.quarantine(path, into: quarantine)) ?? "(could not be moved: \(path))"
            loadProblem =
                "\(path) was unreadable (\(error)); it is kept as \(moved), and the index's columns start over "
                + "with default flags as keys are seen again (set flags again with alco index alter --column)"
        }
    }

    public var all: [Column] { lock.withLock { columns.values.sorted { $0.name < $1.name } } }

    public func column(_ name: String) -> Column? { lock.withLock { columns[name] } }

    public func values(of name: String) -> ColumnValues { lock.withLock { values[name] ?? ColumnValues() } }

    public var excludedKeys: Set<String> { lock.withLock { Set(columns.values.filter(\.excluded).map(\.name)) } }
    public var indexedKeys: [String] { lock.withLock { columns.values.filter(\.indexed).map(\.name).sorted() } }

    /// Whether `observe` would use a summary of `key`: every key until the registry is full,
    /// then only the keys it has.
    @Sendable func wants(_ key: String) -> Bool {
        lock.withLock { columns.count < ColumnRegistry.maxColumns || columns[key] != nil }
    }

    /// Registers what a newly built segment saw of each js key (paths of nested keys are
    /// dotted), with the time each key and value was last seen.
    func observe(_ summaries: [ColumnSummary]) {
        lock.lock()
        defer { lock.unlock() }
        for s in summaries {
            let seconds = DocumentID.microseconds(of: s.lastID) / 1_000_000
            if var c = columns[s.key] {
                if c.lastSeen < seconds {
                    c.lastSeen = seconds
                    columns[s.key] = c
                    dirty = true
                }
            } else if columns.count >= ColumnRegistry.maxColumns {
                continue
            } else {
                columns[s.key] = Column.make(s.key, at: seconds)
                dirty = true
            }
            guard columns[s.key]!.filtered else { continue }
            var v = values[s.key] ?? ColumnValues()
            let before = v
            for (text, id) in s.values where text.utf8.count <= ColumnRegistry.maxValueLength {
                let t = DocumentID.microseconds(of: id) / 1_000_000
                if let old = v.lastSeen[text] {
                    if old < t { v.lastSeen[text] = t }
                } else if v.lastSeen.count >= ColumnRegistry.maxValuesPerColumn {
                    v.dropped += 1
                } else {
                    v.lastSeen[text] = t
                }
            }
            if v != before {
                values[s.key] = v
                dirty = true
            }
        }
    }

    /// Creates a column before it is first seen (to flag it `indexed` or `excluded` up front)
    /// or changes an existing one.
    public func declare(_ name: String, at seconds: Int64 = 0, _ change: (inout Column) -> Void) throws {
        lock.withLock {
            var c = columns[name] ?? Column.make(name, at: seconds)
            change(&c)
            columns[name] = c
            dirty = true
        }
        try save()
    }

    /// Changes a column's flags.
    public func update(_ name: String, _ change: (inout Column) -> Void) throws {
        try lock.withLock {
            guard var c = columns[name] else { throw AlcoError.invalidSetting("unknown column '\(name)'") }
            change(&c)
            columns[name] = c
            dirty = true
        }
        try save()
    }

    func save() throws {
        saveLock.lock()
        defer { saveLock.unlock() }
        let stored: Stored? = lock.withLock {
            guard dirty else { return nil }
            dirty = false
            return Stored(columns: columns.values.sorted { $0.name < $1.name }, values: values)
        }
        guard let stored else { return }
        do {
            try FileSystem.writeAtomically(path, stored.encoded())
        } catch {
            lock.withLock { dirty = true }  // written at the next save
            throw error
        }
    }
}
