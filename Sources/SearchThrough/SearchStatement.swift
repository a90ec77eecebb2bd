import AlcoIndex
import Foundation

/// A `SearchRequest` as the SphinxQL a Sphinx 2.2.11 master accepts and forwards to its
/// agents: the text as MATCH (`TextQuery.matchText`), id bounds as id filters, and every
/// attribute filter as one select-list condition `__alco_filter` (a master's WHERE takes
/// neither OR nor mixed string and number lists; its expressions do, and it sends a WHERE on
/// an alias to the agents as a filter on that expression).
public enum SearchStatement {
    public static let filterAlias = "__alco_filter"

    /// The SELECT for a page of lines (or of groups, with `groupBy`).
    public static func select(_ r: SearchRequest, index: String, columns: String = "id, logline, js") throws -> String {
        var items = [try r.groupBy.map { "\(try attribute($0)), COUNT(*) AS __count" } ?? columns]
        let condition = try filterCondition(r.filter)
        if let condition { items.append("\(condition) AS \(filterAlias)") }
        var sql = "SELECT \(items.joined(separator: ", ")) FROM \(try table(index))"
        sql += try whereClause(r, filtered: condition != nil)
        if let key = r.groupBy {
            sql += " GROUP BY \(try attribute(key)) ORDER BY __count DESC"
        } else {
            switch r.order {
            case .idAscending: sql += " ORDER BY id ASC"
            case .idDescending: sql += " ORDER BY id DESC"
            case .relevance: sql += " ORDER BY WEIGHT() DESC, id ASC"
            }
        }
        sql += " LIMIT \(max(0, r.offset)), \(max(0, r.limit))"
        var options = ["max_matches=\(max(1, r.maxMatches))"]
        if let ms = r.timeLimitMilliseconds { options.append("max_query_time=\(max(1, ms))") }
        return sql + " OPTION " + options.joined(separator: ", ")
    }

    /// `SELECT COUNT(*)` of the lines `r` matches.
    public static func count(_ r: SearchRequest, index: String) throws -> String {
        let condition = try filterCondition(r.filter)
        var sql = "SELECT COUNT(*)\(condition.map { ", \($0) AS \(filterAlias)" } ?? "") FROM \(try table(index))"
        sql += try whereClause(r, filtered: condition != nil)
        return sql
    }

    static func whereClause(_ r: SearchRequest, filtered: Bool) throws -> String {
        var conditions: [String] = []
        if r.text != .all { conditions.append("MATCH(\(literal(try r.text.matchText())))") }
        if filtered { conditions.append("\(filterAlias) = 1") }
        let ids = r.ids
        if ids.isEmpty {
            conditions.append("id = 0 AND id = 1")  // nothing: no id is both
        } else {
            if ids.lower > 0 { conditions.append("id >= \(ids.lower)") }
            if ids.upper < .max { conditions.append("id <= \(ids.upper)") }
        }
        return conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
    }

    /// The filter as one condition, nil when it lets every line through.
    static func filterCondition(_ f: Filter) throws -> String? {
        var depth = 0
        return try condition(f, depth: &depth)
    }

    private static func condition(_ f: Filter, depth: inout Int) throws -> String? {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 64 else { throw AlcoError.query(message: "the filter nests too deeply to send to the front", position: 0) }
        switch f {
        case .always(true): return nil
        case .always(false): return "0"
        case .and(let fs):
            let parts = try fs.compactMap { try condition($0, depth: &depth) }
            if parts.contains("0") { return "0" }
            return parts.isEmpty ? nil : parts.count == 1 ? parts[0] : "(" + parts.joined(separator: " AND ") + ")"
        case .or(let fs):
            var parts: [String] = []
            for x in fs {
                guard let c = try condition(x, depth: &depth) else { return nil }  // one branch passes all
                if c != "0" { parts.append(c) }
            }
            return parts.isEmpty ? "0" : parts.count == 1 ? parts[0] : "(" + parts.joined(separator: " OR ") + ")"
        case .not(let x):
            guard let c = try condition(x, depth: &depth) else { return "0" }
            return "NOT (\(c))"
        case .oneOf(let key, let values):
            let column = try attribute(key)
            let strings = values.compactMap { if case .string(let s) = $0 { return literal(s) } else { return nil } }
            let numbers = values.compactMap { if case .number(let d) = $0 { return d } else { return nil } }
            var parts: [String] = []
            if !strings.isEmpty { parts.append("IN(\(column), \(strings.joined(separator: ", ")))") }
            for d in numbers { parts.append("\(column) = \(number(d))") }
            if parts.isEmpty { return "0" }
            return parts.count == 1 ? parts[0] : "(" + parts.joined(separator: " OR ") + ")"
        case .compare(let key, let op, let d):
            return "\(try attribute(key)) \(op == .notEqual ? "!=" : op.rawValue) \(number(d))"
        case .between(let key, let lo, let hi):
            let column = try attribute(key)
            return "(\(column) >= \(number(lo)) AND \(column) <= \(number(hi)))"
        case .exists(let key):
            return "\(try attribute(key)) IS NOT NULL"
        case .idIn(let ids):
            return ids.isEmpty ? "0" : "IN(id, \(ids.map(String.init).joined(separator: ", ")))"
        case .idCompare(let op, let id):
            return "id \(op.rawValue) \(id)"
        }
    }

    /// A js key as a select-list path; keys a path cannot spell are refused, not mangled.
    static func attribute(_ key: String) throws -> String {
        if key == "id" { return "id" }
        let parts = key.split(separator: ".", omittingEmptySubsequences: false)
        let spellable = parts.allSatisfy { p in
            guard let first = p.unicodeScalars.first, first == "_" || CharacterSet.letters.contains(first) else { return false }
            return p.unicodeScalars.allSatisfy { $0 == "_" || CharacterSet.alphanumerics.contains($0) && $0.isASCII }
        }
        guard spellable, !parts.isEmpty else {
            throw AlcoError.query(message: "the field '\(key)' cannot be named in SphinxQL through the front", position: 0)
        }
        return "js." + key
    }

    static func table(_ name: String) throws -> String {
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || ($0 < 128 && isalnum(Int32($0)) != 0) }) else {
            throw AlcoError.query(message: "the index name '\(name)' cannot be sent to the front", position: 0)
        }
        return name
    }

    /// A SphinxQL string literal: quotes and backslashes escaped, nothing else changed.
    public static func literal(_ s: String) -> String {
        var out = "'"
        for c in s.unicodeScalars {
            switch c {
            case "'": out += "\\'"
            case "\\": out += "\\\\"
            case "\0": out += "\\0"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "'"
    }

    /// A number as SphinxQL reads it: integers without a fraction, others in full.
    static func number(_ d: Double) -> String {
        if d.isNaN || d.isInfinite { return d > 0 ? "1e308" : d < 0 ? "-1e308" : "0" }
        if d == d.rounded(), abs(d) < 9e15 { return String(Int64(d)) }
        return String(d)
    }
}
