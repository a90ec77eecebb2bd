import AlcoIndex
import Foundation

/// What the HTTP API and the web UI read from an index, wherever its lines are: this node's
/// engine (`LocalIndexReader`), or every node of a cluster through a Sphinx front
/// (`alco serve --search-through`). Calls block; callers run them off the event loop. A
/// query the reader cannot run throws `AlcoError.query`.
public protocol IndexReader: Sendable {
    var name: String { get }
    /// The zone its day partitions and the API's times are read in.
    var timeZone: TimeZone { get }
    func search(_ request: SearchRequest) throws -> SearchResult
    /// The lines with these ids, those that exist.
    func documents(ids: [UInt64]) throws -> [Document]
    /// How many lines match in each time window (µs, both ends included).
    func counts(_ request: SearchRequest, in windows: [TimeWindow]) throws -> [Int]
    /// The oldest and newest line ids; nil when there are no lines.
    func idSpan() throws -> (first: UInt64, last: UInt64)?
    /// Every js key lines have carried, with its flags.
    func fields() throws -> [Column]
    /// Lines of a message pattern (with the patterns merged into it, where the reader knows them).
    func patternFilter(_ id: UInt32) -> Filter
}

extension IndexReader {
    public func patternFilter(_ id: UInt32) -> Filter { .oneOf(key: "pattern", values: [.string(String(id))]) }

    /// The request narrowed by `pattern=ID` (any of them) and `not_pattern=ID` parameters.
    public func narrowing(_ request: SearchRequest, patterns: [String], notPatterns: [String]) throws -> SearchRequest {
        func id(_ text: String) throws -> UInt32 {
            guard let id = UInt32(text) else { throw ParameterError("a pattern is a number (its id), not '\(text)'") }
            return id
        }
        var filters: [Filter] = request.filter == .always(true) ? [] : [request.filter]
        if !patterns.isEmpty {
            let each = try patterns.map { patternFilter(try id($0)) }
            filters.append(each.count == 1 ? each[0] : .or(each))
        }
        for text in notPatterns { filters.append(.not(patternFilter(try id(text)))) }
        var r = request
        if !filters.isEmpty { r.filter = filters.count == 1 ? filters[0] : .and(filters) }
        return r
    }
}

/// The reader's lines are out of reach (a Sphinx front that is down or timed out).
public struct ReaderUnavailable: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The index is not there (the front has no such index).
public struct ReaderNotFound: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A span of time in µs, both ends included; built only with `first <= last`.
public struct TimeWindow: Sendable, Equatable {
    public let first: Int64
    public let last: Int64

    public init?(first: Int64, last: Int64) {
        guard first <= last else { return nil }
        self.first = first
        self.last = last
    }
}

extension IndexReader {
    /// The first µs of the day (in the reader's zone) holding `microseconds`.
    public func startOfDay(containing microseconds: Int64) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let date = Date(timeIntervalSince1970: Double(microseconds) / 1e6)
        return Int64(calendar.startOfDay(for: date).timeIntervalSince1970) * 1_000_000
    }
}

/// An index of this node's engine.
public struct LocalIndexReader: IndexReader {
    public let index: LogIndex

    public init(_ index: LogIndex) { self.index = index }

    public var name: String { index.name }
    public var timeZone: TimeZone { index.timeZone }

    public func search(_ request: SearchRequest) throws -> SearchResult { try index.search(request) }
    public func patternFilter(_ id: UInt32) -> Filter { index.patternFilter(id) }

    public func documents(ids: [UInt64]) throws -> [Document] { try index.documents(ids: ids) }

    /// Every window counted on one snapshot, so the buckets agree with each other.
    public func counts(_ request: SearchRequest, in windows: [TimeWindow]) throws -> [Int] {
        let snapshot = try index.snapshot()
        return try windows.map { w in
            var r = request
            r.restrictTime(fromMicroseconds: w.first, toMicroseconds: w.last)
            r.limit = 0
            r.countTotal = true
            r.loadDocuments = false
            return try Searcher.search(r, segments: snapshot).totalFound
        }
    }

    public func idSpan() throws -> (first: UInt64, last: UInt64)? {
        let stats = index.stats()
        guard let lo = stats.minID, let hi = stats.maxID else { return nil }
        return (lo, hi)
    }

    public func fields() throws -> [Column] { index.columns.all }
}

/// Lines as they are published to a cluster, not yet stored anywhere this node can read:
/// what the live tail follows in `--search-through` mode.
public protocol PublishedLines: Sendable {
    /// What arrived since the last call, and how many lines were dropped because the tail
    /// fell too far behind; throws once the source has failed.
    func drain() throws -> (lines: [Document], missed: Int)
    /// Stops following (blocks briefly).
    func close()
}
