import NIOCore

/// A SEARCH command: a batch of queries, from a client (`masterVersion` 0) or from a master
/// searchd fanning a distributed index out (its `VER_MASTER`, 14 for 2.2.11).
public struct APISearchRequest: Equatable, Sendable {
    public var version: UInt16
    public var masterVersion: UInt32
    public var queries: [APIQuery]

    /// searchd's `max_batch_queries` default.
    public static let maxQueries = 32

    public init(version: UInt16, masterVersion: UInt32, queries: [APIQuery]) {
        self.version = version
        self.masterVersion = masterVersion
        self.queries = queries
    }

    /// Whether replies go to a master (packed JSON, stats, per-word flags) or to a client.
    public var isFromMaster: Bool { masterVersion > 0 }

    public static func decode(_ body: ByteBuffer, version: UInt16) throws -> APISearchRequest {
        try APIRequest.checkVersion(version, of: .search)
        guard version >= APIProtocol.oldestSearchVersion else {
            throw APIDecodingError.unsupported("search command v.1.\(version & 0xFF) is older than this server reads (v.1.27)")
        }
        var r = APIReader(body)
        let master = try r.readUInt32()
        guard master <= APIProtocol.masterVersion else {
            throw APIDecodingError.unsupported("master-agent version mismatch; update me first, then update master!")
        }
        let count = try r.readInt32()
        guard count > 0, Int(count) <= maxQueries else {
            throw APIDecodingError.unsupported("bad multi-query count \(count) (must be in 1..\(maxQueries) range)")
        }
        var queries: [APIQuery] = []
        for _ in 0..<count {
            queries.append(try APIQuery.decode(&r, version: version, masterVersion: master))
        }
        return APISearchRequest(version: version, masterVersion: master, queries: queries)
    }
}

/// One query of a SEARCH batch, field for field as the protocol carries it.
public struct APIQuery: Equatable, Sendable {
    public enum MatchMode: UInt32, Sendable {
        case all = 0, any, phrase, boolean, extended, fullScan, extended2
    }

    public enum SortMode: UInt32, Sendable {
        case relevance = 0, attributeDescending, attributeAscending, timeSegments, extended, expression
    }

    public var flags: UInt32 = 0
    public var offset: Int32 = 0
    public var limit: Int32 = 20
    public var matchMode: MatchMode = .extended2
    public var ranker: UInt32 = 0
    public var rankerExpression = ""
    public var sortMode: SortMode = .relevance
    public var sortBy = ""
    public var query = ""
    public var fieldWeightsByPosition: [UInt32] = []
    public var indexes = ""
    public var minID: UInt64 = 0
    public var maxID: UInt64 = .max
    public var filters: [APIFilter] = []
    public var groupFunction: UInt32 = 4
    public var groupBy = ""
    public var maxMatches: Int32 = 1000
    public var groupSort = "@groupby desc"
    public var cutoff: Int32 = 0
    public var retryCount: Int32 = 0
    public var retryDelay: Int32 = 0
    public var groupDistinct = ""
    public var hasGeoAnchor = false
    public var indexWeights: [NamedWeight] = []
    public var maxQueryMilliseconds: UInt32 = 0
    public var fieldWeights: [NamedWeight] = []
    public var comment = ""
    public var overrideCount = 0
    public var select = "*"
    public var maxPredictedMilliseconds: Int32 = 0
    public var outerOrderBy = ""
    public var outerOffset: UInt32 = 0
    public var outerLimit: UInt32 = 0
    public var hasOuter = false
    public var collation: UInt32 = 0
    public var groupByLimit: Int32 = 0

    public struct NamedWeight: Equatable, Sendable {
        public var name: String
        public var weight: Int32
    }

    public init() {}

    /// searchd's `max_filters` and `max_filter_values` defaults, and its field limit.
    public static let maxFilters = 256
    public static let maxFilterValues = 4096
    public static let maxFields = 256
    static let rankerExpression: Set<UInt32> = [8, 9]
    static let flagMaxPredictedTime: UInt32 = 1 << 2

    static func decode(_ r: inout APIReader, version: UInt16, masterVersion: UInt32) throws -> APIQuery {
        var q = APIQuery()
        q.flags = try r.readUInt32()
        q.offset = try r.readInt32()
        q.limit = try r.readInt32()
        let mode = try r.readUInt32()
        guard let matchMode = MatchMode(rawValue: mode) else { throw APIDecodingError.unsupported("invalid match mode \(mode)") }
        q.matchMode = matchMode
        q.ranker = try r.readUInt32()
        if rankerExpression.contains(q.ranker) { q.rankerExpression = try r.readString() }
        let sort = try r.readUInt32()
        guard let sortMode = SortMode(rawValue: sort) else { throw APIDecodingError.unsupported("unknown sort mode \(sort)") }
        q.sortMode = sortMode
        q.sortBy = try r.readString()
        q.query = try r.readString()
        let weights = try r.readCount(limit: maxFields, what: "weight count")
        for _ in 0..<weights { q.fieldWeightsByPosition.append(try r.readUInt32()) }
        q.indexes = try r.readString()
        let wideIDs = try r.readUInt32() != 0
        if wideIDs {
            q.minID = try r.readUInt64()
            q.maxID = try r.readUInt64()
        } else {
            q.minID = UInt64(try r.readUInt32())
            q.maxID = UInt64(try r.readUInt32())
        }
        if q.maxID == 0 { q.maxID = .max }
        let filters = try r.readCount(limit: maxFilters, what: "attribute filter count")
        for _ in 0..<filters {
            q.filters.append(try APIFilter.decode(&r, masterVersion: masterVersion))
        }
        q.groupFunction = try r.readUInt32()
        q.groupBy = try r.readString()
        q.maxMatches = try r.readInt32()
        q.groupSort = try r.readString()
        q.cutoff = try r.readInt32()
        q.retryCount = try r.readInt32()
        q.retryDelay = try r.readInt32()
        q.groupDistinct = try r.readString()
        q.hasGeoAnchor = try r.readInt32() != 0
        if q.hasGeoAnchor {
            _ = try r.readString()
            _ = try r.readString()
            _ = try r.readFloat()
            _ = try r.readFloat()
        }
        let indexWeights = try r.readCount(limit: maxFields, what: "index weight count")
        for _ in 0..<indexWeights { q.indexWeights.append(NamedWeight(name: try r.readString(), weight: try r.readInt32())) }
        q.maxQueryMilliseconds = try r.readUInt32()
        let fieldWeights = try r.readCount(limit: maxFields, what: "field weight count")
        for _ in 0..<fieldWeights { q.fieldWeights.append(NamedWeight(name: try r.readString(), weight: try r.readInt32())) }
        q.comment = try r.readString()
        q.overrideCount = try r.readCount(limit: maxFilters, what: "attribute override count")
        for _ in 0..<q.overrideCount {
            _ = try r.readString()
            let type = try r.readUInt32()
            let values = try r.readCount(limit: maxFilterValues, what: "override value count")
            for _ in 0..<values {
                _ = try r.readUInt64()
                if type == APIAttributeType.bigint.rawValue { _ = try r.readUInt64() } else { _ = try r.readUInt32() }
            }
        }
        q.select = try r.readString()
        if q.select.isEmpty { q.select = "*" }
        if q.flags & flagMaxPredictedTime != 0 { q.maxPredictedMilliseconds = try r.readInt32() }
        if version >= 0x11D {
            q.outerOrderBy = try r.readString()
            q.outerOffset = try r.readUInt32()
            q.outerLimit = try r.readUInt32()
            q.hasOuter = try r.readInt32() != 0
        }
        if masterVersion >= 1 { q.collation = try r.readUInt32() }
        if masterVersion >= 2 {
            q.outerOrderBy = try r.readString()
            if q.hasOuter { q.outerLimit = UInt32(bitPattern: try r.readInt32()) }
        }
        if masterVersion >= 6 { q.groupByLimit = try r.readInt32() }
        if masterVersion >= 14 {
            for _ in 0..<5 { _ = try r.readString() }
        }
        try q.check()
        return q
    }

    /// searchd's own checks of a query's numbers, with its messages.
    func check() throws {
        guard maxMatches >= 1 else { throw APIDecodingError.unsupported("max_matches can not be less than one") }
        guard offset >= 0, offset < maxMatches else {
            throw APIDecodingError.unsupported("offset out of bounds (offset=\(offset), max_matches=\(maxMatches))")
        }
        guard limit >= 0 else { throw APIDecodingError.unsupported("limit out of bounds (limit=\(limit))") }
        guard cutoff >= 0 else { throw APIDecodingError.unsupported("cutoff out of bounds (cutoff=\(cutoff))") }
    }
}

/// A filter of a query: an attribute (`@id`, `js.key`) and the values it must (or, with
/// `exclude`, must not) have.
public struct APIFilter: Equatable, Sendable {
    public enum Condition: Equatable, Sendable {
        case values([Int64])
        /// Inclusive unless `hasEqual` is false (then both ends are open).
        case range(Int64, Int64)
        case floatRange(Float, Float)
        case string(String?)
        case isNull(Bool)
        case userVariable(String)
        case strings([String])
    }

    public var attribute: String
    public var condition: Condition
    public var exclude: Bool
    public var hasEqual: Bool

    public init(attribute: String, condition: Condition, exclude: Bool = false, hasEqual: Bool = true) {
        self.attribute = attribute
        self.condition = condition
        self.exclude = exclude
        self.hasEqual = hasEqual
    }

    static func decode(_ r: inout APIReader, masterVersion: UInt32) throws -> APIFilter {
        let name = try r.readString().lowercasingFirstSegment()
        let type = try r.readUInt32()
        let condition: Condition
        switch type {
        case 0:
            let n = try r.readCount(limit: APIQuery.maxFilterValues, what: "attribute '\(name)' set length")
            var values: [Int64] = []
            values.reserveCapacity(n)
            for _ in 0..<n { values.append(Int64(bitPattern: try r.readUInt64())) }
            condition = .values(values)
        case 1: condition = .range(Int64(bitPattern: try r.readUInt64()), Int64(bitPattern: try r.readUInt64()))
        case 2: condition = .floatRange(try r.readFloat(), try r.readFloat())
        case 3:
            let bytes = try r.readBytes()
            condition = .string(String(decoding: bytes, as: UTF8.self))
        case 4: condition = .isNull(try r.readUInt8() != 0)
        case 5: condition = .userVariable(try r.readString())
        case 6:
            let n = try r.readCount(limit: APIQuery.maxFilterValues, what: "attribute '\(name)' set length")
            var strings: [String] = []
            for _ in 0..<n { strings.append(try r.readString()) }
            condition = .strings(strings)
        default:
            throw APIDecodingError.unsupported("unknown filter type (type-id=\(type))")
        }
        var filter = APIFilter(attribute: name, condition: condition)
        filter.exclude = try r.readUInt32() != 0
        if masterVersion >= 5 { filter.hasEqual = try r.readUInt32() != 0 }
        if masterVersion >= 13 { _ = try r.readUInt32() }
        if case .isNull = condition, masterVersion < 5 { filter.hasEqual = true }
        return filter
    }
}

extension String {
    /// A column's first segment is case-insensitive (`ID`, `JS.key`); JSON keys below it are
    /// not, so `js.fooBar` keeps its case (searchd 2.2 lower-cased the whole name, which
    /// made keys with capitals unreachable through a distributed index).
    public func lowercasingFirstSegment() -> String {
        guard let dot = firstIndex(of: ".") else { return lowercased() }
        return self[..<dot].lowercased() + self[dot...]
    }
}
