/// A value in an attribute filter: js strings compare as strings, numbers as numbers.
public enum FilterValue: Equatable, Sendable, Hashable {
    case string(String)
    case number(Double)
}

public enum Comparison: String, Equatable, Sendable {
    case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="

    public func holds<T: Comparable>(_ a: T, _ b: T) -> Bool {
        switch self {
        case .equal: return a == b
        case .notEqual: return a != b
        case .less: return a < b
        case .lessOrEqual: return a <= b
        case .greater: return a > b
        case .greaterOrEqual: return a >= b
        }
    }
}

/// A condition on document attributes; trees of them express SphinxQL's WHERE and the API's
/// filters.
extension Filter {
    /// `js.key` equal to what a person typed: the text, or the number it reads as (the way
    /// ALCO sent both `IN(js.process, '9002')` and `IN(js.process, 9002)`).
    public static func typed(key: String, value text: String) -> Filter {
        var values: [FilterValue] = [.string(text)]
        if let d = Double(text) { values.append(.number(d)) }
        return .oneOf(key: key, values: values)
    }
}

public indirect enum Filter: Equatable, Sendable {
    /// `js.key` has one of the values (`=` and `IN`).
    case oneOf(key: String, values: [FilterValue])
    /// `js.key` compared with a number.
    case compare(key: String, Comparison, Double)
    /// `js.key BETWEEN lo AND hi`.
    case between(key: String, Double, Double)
    /// `js.key` is present.
    case exists(key: String)
    case idIn([UInt64])
    case idCompare(Comparison, UInt64)
    case and([Filter])
    case or([Filter])
    case not(Filter)
    case always(Bool)
}

public enum SortOrder: Equatable, Sendable {
    case idAscending
    case idDescending
    /// BM25 weight, best first; ties by id ascending.
    case relevance
}

/// Which day partitions a query reads, as ALCO's table names addressed them.
public indirect enum PartitionSelection: Equatable, Sendable {
    case all
    case day(Int)  // YYYYMMDD
    case fromDay(Int)
    /// Days any of these select (`FROM logs_20261124, logs_20261125`).
    case anyOf([PartitionSelection])

    public func contains(day: Int) -> Bool {
        switch self {
        case .all: return true
        case .day(let d): return day == d
        case .fromDay(let d): return day >= d
        case .anyOf(let parts): return parts.contains { $0.contains(day: day) }
        }
    }

    /// The days of both, with `.all` absorbing everything.
    public func union(_ other: PartitionSelection) -> PartitionSelection {
        switch (self, other) {
        case (.all, _), (_, .all): return .all
        case (.anyOf(let a), .anyOf(let b)): return .anyOf(a + b)
        case (.anyOf(let a), let x), (let x, .anyOf(let a)): return .anyOf(a + [x])
        default: return self == other ? self : .anyOf([self, other])
        }
    }
}

public struct SnippetOptions: Equatable, Sendable {
    public var beforeMatch = "<b>"
    public var afterMatch = "</b>"
    public var chunkSeparator = " ... "
    /// Maximum snippet length in characters; 0 = the whole text.
    public var limit = 256
    /// Words kept around each match.
    public var around = 5
    /// Query used for the snippet (defaults to the search's text query).
    public var query: TextQuery?

    public init() {}
}

/// Inclusive bounds on document ids, narrowed only through methods that cannot trap: ids and
/// cursors come from clients, and a range whose bounds cross (`after=5&before=1`) is empty,
/// never `lo...hi` with `lo > hi`.
public struct IDBounds: Equatable, Sendable {
    public private(set) var lower: UInt64 = 0
    public private(set) var upper: UInt64 = .max
    /// No id satisfies the bounds.
    public private(set) var isEmpty = false

    public init() {}

    public init(_ lower: UInt64, _ upper: UInt64) {
        atLeast(lower)
        atMost(upper)
    }

    /// Ids of at least `id`.
    public mutating func atLeast(_ id: UInt64) {
        lower = max(lower, id)
        if lower > upper { isEmpty = true }
    }

    /// Ids of at most `id`.
    public mutating func atMost(_ id: UInt64) {
        upper = min(upper, id)
        if lower > upper { isEmpty = true }
    }

    /// Ids greater than `id` (a cursor's next page in ascending order).
    public mutating func after(_ id: UInt64) {
        if id == .max { isEmpty = true } else { atLeast(id + 1) }
    }

    /// Ids less than `id`.
    public mutating func before(_ id: UInt64) {
        if id == 0 { isEmpty = true } else { atMost(id - 1) }
    }

    public func contains(_ id: UInt64) -> Bool { !isEmpty && id >= lower && id <= upper }

    /// The bounds as a range; an empty one reads as `0...0` (check `isEmpty` first).
    public var range: ClosedRange<UInt64> { isEmpty ? 0...0 : lower...upper }
}

/// The one query form that SphinxQL, the HTTP API and the CLI translate into.
public struct SearchRequest: Sendable {
    public var text: TextQuery
    public var filter: Filter
    /// Inclusive id bounds (time ranges are id ranges: ids are time-ordered).
    public var ids: IDBounds
    /// The id bounds as a range (`0...0` when empty: check `isEmptyRange`).
    public var idRange: ClosedRange<UInt64> { ids.range }
    /// Nothing can match: the id or time bounds exclude every document.
    public var isEmptyRange: Bool { ids.isEmpty }
    public var order: SortOrder
    public var offset: Int
    public var limit: Int
    /// Sphinx's window: offset + limit may not exceed it.
    public var maxMatches: Int
    /// Count every match (`total_found`); without it the tail stops after `limit` hits.
    public var countTotal: Bool
    /// Group by a js key (or "id"): counts per value.
    public var groupBy: String?
    public var snippet: SnippetOptions?
    public var partitions: PartitionSelection
    /// Skip loading stored fields (counts, ids only).
    public var loadDocuments: Bool
    /// Stop after this long (Sphinx's `max_query_time`): the result holds what was found by
    /// then and says `timedOut`. Nil: no limit.
    public var timeLimitMilliseconds: Int?
    /// Also stop (as `timedOut`) once this many bytes of segment pages never read before were
    /// read (see `Deadline`): a first try that must not wait for the disk. Nil: no such bound.
    public var coldReadLimitBytes: Int?

    public init(
        text: TextQuery = .all, filter: Filter = .always(true),
        ids: IDBounds = IDBounds(), order: SortOrder = .idDescending,
        offset: Int = 0, limit: Int = 20, maxMatches: Int = 1000, countTotal: Bool = false,
        groupBy: String? = nil, snippet: SnippetOptions? = nil, partitions: PartitionSelection = .all,
        loadDocuments: Bool = true
    ) {
        self.text = text
        self.filter = filter
        self.ids = ids
        self.order = order
        self.offset = offset
        self.limit = limit
        self.maxMatches = maxMatches
        self.countTotal = countTotal
        self.groupBy = groupBy
        self.snippet = snippet
        self.partitions = partitions
        self.loadDocuments = loadDocuments
    }

    /// The most matches one query may keep, whoever asks: each kept match holds memory until
    /// the query ends, and a client's `max_matches=2000000000` must be an error, not an
    /// allocation (it takes Sphinx 2.2.11 down).
    public static let maxMatchesLimit = 1_000_000

    /// Throws unless offset, limit and max_matches are usable: checked before any work, so
    /// nothing later computes with a negative count or sums past `Int.max`.
    public func checkLimits() throws {
        guard offset >= 0 else { throw AlcoError.invalidSetting("offset must not be negative (offset=\(offset))") }
        guard limit >= 0 else { throw AlcoError.invalidSetting("limit must not be negative (limit=\(limit))") }
        guard maxMatches >= 1 else { throw AlcoError.invalidSetting("max_matches can not be less than one") }
        guard maxMatches <= SearchRequest.maxMatchesLimit else {
            throw AlcoError.invalidSetting(
                "max_matches=\(maxMatches) out of bounds (at most \(SearchRequest.maxMatchesLimit) matches are kept per query)")
        }
        if offset >= maxMatches && limit > 0 {
            throw AlcoError.invalidSetting("offset out of bounds (offset=\(offset), max_matches=\(maxMatches))")
        }
    }

    /// How many matches from the top the query keeps: offset + limit, at most max_matches
    /// (saturating: `LIMIT 1, 9223372036854775807` is a window of max_matches, not a trap).
    public var window: Int {
        let (sum, overflow) = offset.addingReportingOverflow(limit)
        return min(overflow ? Int.max : sum, maxMatches)
    }

    /// Time bounds in µs since the epoch, as an id range.
    public mutating func restrictTime(fromMicroseconds: Int64?, toMicroseconds: Int64?) {
        if let from = fromMicroseconds { ids.atLeast(DocumentID.lowerBound(microseconds: from)) }
        if let to = toMicroseconds {
            if to == .max { return }
            ids.before(DocumentID.lowerBound(microseconds: to + 1))
        }
    }
}

public struct Hit: Equatable, Sendable {
    public var id: UInt64
    public var logline: String
    public var js: String
    public var weight: Int
    public var snippet: String?

    public init(id: UInt64, logline: String, js: String, weight: Int = 0, snippet: String? = nil) {
        self.id = id
        self.logline = logline
        self.js = js
        self.weight = weight
        self.snippet = snippet
    }
}

public struct GroupCount: Equatable, Sendable {
    public var value: String?
    public var count: Int
    /// The newest matching id in the group (the row Sphinx shows for a group).
    public var representativeID: UInt64

    public init(value: String?, count: Int, representativeID: UInt64) {
        self.value = value
        self.count = count
        self.representativeID = representativeID
    }
}

/// Per-keyword statistics, as SHOW META reports them.
public struct KeywordStats: Equatable, Sendable {
    public var keyword: String
    public var docs: Int
    public var hits: Int

    public init(keyword: String, docs: Int, hits: Int) {
        self.keyword = keyword
        self.docs = docs
        self.hits = hits
    }
}

public struct SearchResult: Sendable {
    public var hits: [Hit] = []
    /// Matches counted; exact when `totalIsExact`, otherwise a lower bound.
    public var totalFound = 0
    public var totalIsExact = false
    public var groups: [GroupCount] = []
    public var segmentsSearched = 0
    public var elapsedNanoseconds: UInt64 = 0
    /// The time limit passed: the hits and counts are those found until then.
    public var timedOut = false

    public init() {}
}
