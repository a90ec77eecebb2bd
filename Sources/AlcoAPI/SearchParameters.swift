import AlcoIndex
import AlcoIngest
import Foundation

/// A request's query parameters, whichever HTTP library read them (and the fuzzer).
public protocol QueryParameterSource {
    /// The first value of `key`.
    func first(_ key: String) -> String?
    /// Every value of `key`, in order.
    func all(_ key: String) -> [String]
}

/// A parameter the client got wrong: the API answers 400 with `error` and `detail`.
public struct ParameterError: Error, Equatable, Sendable {
    public var error: String
    public var detail: String

    public init(_ detail: String, error: String = "bad_request") {
        self.error = error
        self.detail = detail
    }
}

/// The query parameters every search-like endpoint shares, turned into the engine's query
/// form: `q` with `mode` and `case`, `field=KEY:VALUE` filters, `since`/`until`, and the
/// numbers and cursors a client sends. Knows nothing of HTTP; every value is checked here.
public enum SearchParameters {
    public static func search(_ q: some QueryParameterSource, zone: TimeZone, now: Int64) throws -> SearchRequest {
        let query = q.first("q") ?? ""
        let caseSensitive = q.first("case") == "sensitive"
        var search = SearchRequest()
        switch q.first("mode") ?? "extended" {
        case "extended":
            do {
                search.text = try QueryParser.parse(query)
            } catch let e as AlcoError {
                throw ParameterError(e.description, error: "bad_query")
            }
        case "substring": search.text = query.isEmpty ? .all : .substring(query, caseSensitive: caseSensitive)
        case "regex":
            do {
                _ = try RegexMatcher(query, caseSensitive: caseSensitive)
            } catch {
                throw ParameterError("\(error)", error: "bad_query")
            }
            search.text = query.isEmpty ? .all : .regex(query, caseSensitive: caseSensitive)
        case let other:
            throw ParameterError("mode must be extended, substring or regex, not '\(other)'")
        }
        if let filter = try fieldFilter(q) { search.filter = filter }
        let range = try timeRange(q, zone: zone, now: now)
        search.restrictTime(fromMicroseconds: range.since, toMicroseconds: range.until)
        return search
    }

    /// `field=KEY:VALUE` filters: values of one key are alternatives (a sidebar's ctrl-click
    /// adds one), different keys must all hold; `field=-KEY:VALUE` excludes a value.
    public static func fieldFilter(_ q: some QueryParameterSource) throws -> Filter? {
        var wanted: [(key: String, values: [String])] = []
        var excluded: [Filter] = []
        for f in q.all("field") {
            var text = Substring(f)
            let negated = text.first == "-"
            if negated { text = text.dropFirst() }
            let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw ParameterError("field takes KEY:VALUE, not '\(f)'") }
            if negated {
                excluded.append(.not(.typed(key: parts[0], value: parts[1])))
            } else if let i = wanted.firstIndex(where: { $0.key == parts[0] }) {
                wanted[i].values.append(parts[1])
            } else {
                wanted.append((parts[0], [parts[1]]))
            }
        }
        let filters =
            wanted.map { w in
                w.values.count == 1 ? Filter.typed(key: w.key, value: w.values[0]) : .or(w.values.map { .typed(key: w.key, value: $0) })
            } + excluded
        return filters.isEmpty ? nil : .and(filters)
    }

    /// What to mark in returned lines: the request's own query, or with `hl_q` (and
    /// `hl_mode`, `hl_case`) another one, so unfiltered context still shows the hits.
    public static func highlighter(_ q: some QueryParameterSource, search: SearchRequest) -> Highlighter? {
        if let text = q.first("hl_q") {
            guard !text.isEmpty else { return nil }
            let cs = q.first("hl_case") == "sensitive"
            switch q.first("hl_mode") ?? "extended" {
            case "substring": return Highlighter(.substring(text, caseSensitive: cs))
            case "regex": return (try? RegexMatcher(text, caseSensitive: cs)).map { _ in Highlighter(.regex(text, caseSensitive: cs)) }
            default: return (try? QueryParser.parse(text)).map(Highlighter.init)
            }
        }
        guard q.first("highlight") == "true" || q.first("highlight") == "1", search.text != .all else { return nil }
        return Highlighter(search.text)
    }

    /// A whole-number parameter within `range`, `default` when absent.
    public static func number(_ q: some QueryParameterSource, _ key: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = q.first(key) else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw ParameterError("\(key) must be from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }

    /// `since` and `until` as µs: ISO times (in `zone` unless they carry an offset), epoch
    /// seconds, or ages like `15m`, `2h`, `3d`; clamped to what ids can hold.
    public static func timeRange(_ q: some QueryParameterSource, zone: TimeZone, now: Int64) throws -> (since: Int64?, until: Int64?) {
        func time(_ key: String) throws -> Int64? {
            guard let s = q.first(key) else { return nil }
            guard let t = Timestamps.parseUserTime(s, zone: zone, now: now) else {
                throw ParameterError("cannot read \(key) '\(s)' (use 2026-11-25T10:00, epoch seconds, or 15m, 2h, 3d)")
            }
            return t
        }
        return (try time("since"), try time("until"))
    }

    /// `new_since` (patterns first seen at or after it) as µs, read as `since` is.
    public static func newSince(_ q: some QueryParameterSource, zone: TimeZone, now: Int64) throws -> Int64? {
        guard let s = q.first("new_since") else { return nil }
        guard let t = Timestamps.parseUserTime(s, zone: zone, now: now) else {
            throw ParameterError("cannot read new_since '\(s)' (use 2026-11-25T10:00, epoch seconds, or 15m, 2h, 3d)")
        }
        return t
    }

    /// A line id given as a cursor (`after`, `before`, `id`).
    public static func cursorID(_ q: some QueryParameterSource, _ key: String) throws -> UInt64? {
        guard let text = q.first(key) else { return nil }
        guard let id = UInt64(text) else { throw ParameterError("\(key) takes a line id, not '\(text)'") }
        return id
    }
}

/// `a=1&b=x%20y` split and percent-decoded, for callers without an HTTP library (the fuzzer,
/// tests). Malformed escapes are kept as they are.
public struct QueryString: QueryParameterSource {
    public private(set) var pairs: [(key: String, value: String)] = []

    public init(_ text: String) {
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                let plus = s.replacingOccurrences(of: "+", with: " ")
                return plus.removingPercentEncoding ?? plus
            }
            pairs.append((decode(kv[0]), kv.count > 1 ? decode(kv[1]) : ""))
        }
    }

    public func first(_ key: String) -> String? { pairs.first { $0.key == key }?.value }
    public func all(_ key: String) -> [String] { pairs.filter { $0.key == key }.map(\.value) }
}
