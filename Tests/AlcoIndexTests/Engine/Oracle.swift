import Foundation

@testable import AlcoIndex

/// A brute-force reference: keeps documents in a dictionary and answers a `SearchRequest` by
/// checking every document against the query's meaning, written independently of the engine's
/// planner, postings and collectors.
struct Oracle {
    var docs: [UInt64: (doc: Document, js: JSONValue)] = [:]

    mutating func put(_ d: Document) { docs[d.id] = (d, (try? JSONParser.parse(d.js)) ?? .object([])) }
    mutating func remove(_ id: UInt64) { docs.removeValue(forKey: id) }

    /// The js scalar values in walk order, as (path, value).
    static func scalars(_ js: JSONValue) -> [(path: String, value: JSONValue)] {
        var out: [(String, JSONValue)] = []
        func walk(_ path: String, _ v: JSONValue) {
            switch v {
            case .null: return
            case .string, .number, .bool: out.append((path, v))
            case .array(let items): for i in items { walk(path, i) }
            case .object(let ms): for m in ms { walk(path.isEmpty ? m.key : path + "." + m.key, m.value) }
            }
        }
        walk("", js)
        return out
    }

    /// Token sequences per field: logline is one sequence; each js string/number is its own.
    static func sequences(_ d: Document, _ js: JSONValue, field: String) -> [[String]] {
        if field == "logline" { return [Tokenizer.tokens(d.logline)] }
        return scalars(js).compactMap { s -> [String]? in
            switch s.value {
            case .string(let t): return Tokenizer.tokens(t)
            case .number(let t): return Tokenizer.tokens(t)
            default: return nil
            }
        }
    }

    static func fields(_ limit: FieldLimit) -> [String] {
        ["logline", "js"].filter { limit.allows($0) }
    }

    static func termMatches(_ token: String, _ word: String, _ m: TermMatch) -> Bool {
        switch m {
        case .exact: return token == word
        case .prefix: return token.hasPrefix(word)
        case .suffix: return token.hasSuffix(word)
        case .infix: return token.contains(word)
        }
    }

    func matches(_ q: TextQuery, _ d: Document, _ js: JSONValue) -> Bool {
        switch q {
        case .all: return true
        case .term(let w, let f, let m):
            return Oracle.fields(f).contains { field in
                Oracle.sequences(d, js, field: field).contains { $0.contains { Oracle.termMatches($0, w, m) } }
            }
        case .phrase(let ws, let f, let prox):
            return Oracle.fields(f).contains { field in
                Oracle.sequences(d, js, field: field).contains { seq in
                    if let n = prox { return Oracle.withinProximity(seq, ws, n) }
                    guard seq.count >= ws.count else { return false }
                    return (0...(seq.count - ws.count)).contains { i in Array(seq[i..<(i + ws.count)]) == ws }
                }
            }
        case .quorum(let ws, let f, let minimum):
            let present = Set(ws).filter { w in matches(.term(w, fields: f, match: .exact), d, js) }
            return present.count >= minimum
        case .and(let qs):
            return qs.allSatisfy { matches($0, d, js) }
        case .or(let qs):
            return qs.contains { matches($0, d, js) }
        case .not(let inner):
            return !matches(inner, d, js)
        case .substring(let s, let cs):
            return cs
                ? d.logline.utf8.contains(subsequence: s.utf8)
                : Tokenizer.fold(d.logline).utf8.contains(subsequence: Tokenizer.fold(s).utf8)
        case .regex(let p, let cs):
            return (try? RegexMatcher(p, caseSensitive: cs).matches(d.logline)) ?? false
        }
    }

    /// All words within a window where (window length - word count) <= n.
    static func withinProximity(_ seq: [String], _ words: [String], _ n: Int) -> Bool {
        let need = Set(words)
        for i in seq.indices where need.contains(seq[i]) {
            var have = Set<String>()
            for j in i..<seq.count {
                if need.contains(seq[j]) { have.insert(seq[j]) }
                if have == need {
                    if (j - i + 1) - words.count < n { return true }  // Sphinx: a span of fewer than N + words
                    break
                }
            }
        }
        return false
    }

    func passes(_ f: Filter, _ d: Document, _ js: JSONValue) -> Bool {
        let vals = Oracle.scalars(js)
        func strings(_ key: String) -> [String] {
            vals.filter { $0.path == key }.map { v in
                switch v.value {
                case .string(let s): return s
                case .number(let t): return t
                case .bool(let b): return b ? "true" : "false"
                default: return ""
                }
            }
        }
        func textValues(_ key: String) -> [String] {
            vals.filter { $0.path == key }.compactMap { v in
                switch v.value {
                case .string(let s): return s
                case .bool(let b): return b ? "true" : "false"
                default: return nil
                }
            }
        }
        func firstNumber(_ key: String) -> Double? {
            vals.first { $0.path == key && $0.value.numberValue != nil }?.value.numberValue
        }
        switch f {
        case .always(let b): return b
        case .and(let fs): return fs.allSatisfy { passes($0, d, js) }
        case .or(let fs): return fs.contains { passes($0, d, js) }
        case .not(let x): return !passes(x, d, js)
        case .idIn(let ids): return ids.contains(d.id)
        case .idCompare(let op, let v):
            switch op {
            case .equal: return d.id == v
            case .notEqual: return d.id != v
            case .less: return d.id < v
            case .lessOrEqual: return d.id <= v
            case .greater: return d.id > v
            case .greaterOrEqual: return d.id >= v
            }
        case .oneOf(let key, let values):
            let ss = textValues(key)
            let n = firstNumber(key)
            return values.contains { v in
                switch v {
                case .string(let s): return ss.contains(s) || (Double(s) != nil && n == Double(s))
                case .number(let x): return n == x
                }
            }
        case .compare(let key, let op, let x): return firstNumber(key).map { op.holds($0, x) } ?? false
        case .between(let key, let lo, let hi): return firstNumber(key).map { $0 >= lo && $0 <= hi } ?? false
        case .exists(let key): return !strings(key).isEmpty
        }
    }

    func matching(_ r: SearchRequest) -> [Document] {
        docs.values.filter { e in
            r.ids.contains(e.doc.id) && matches(r.text, e.doc, e.js) && passes(r.filter, e.doc, e.js)
        }.map(\.doc)
    }

    /// The ids a request returns, in order, and the total.
    func answer(_ r: SearchRequest) -> (ids: [UInt64], total: Int) {
        var m = matching(r).map(\.id)
        m.sort()
        if r.order == .idDescending { m.reverse() }
        let window = min(r.offset + r.limit, r.maxMatches)
        return (Array(m.prefix(window).dropFirst(r.offset)), m.count)
    }

    func groups(_ r: SearchRequest, key: String) -> [GroupCount] {
        var counts: [String?: (Int, UInt64)] = [:]
        for d in matching(r) {
            // GROUP BY id: a group per document, named by its id.
            if key == "id" {
                counts[String(d.id)] = (1, d.id)
                continue
            }
            let js = docs[d.id]!.js
            // The first string (or boolean) value, else the first number.
            let vals = Oracle.scalars(js).filter { $0.path == key }
            var first: String?
            for v in vals {
                if case .string(let s) = v.value { first = s; break }
                if case .bool(let b) = v.value { first = b ? "true" : "false"; break }
            }
            if first == nil, let n = vals.first(where: { $0.value.numberValue != nil && !($0.value == .bool(true) || $0.value == .bool(false)) })?.value.numberValue {
                first = NumericColumn.format(n)
            }
            let prev = counts[first] ?? (0, 0)
            counts[first] = (prev.0 + 1, max(prev.1, d.id))
        }
        return counts.map { GroupCount(value: $0.key, count: $0.value.0, representativeID: $0.value.1) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : ($0.value ?? "") < ($1.value ?? "") }
    }
}

extension String.UTF8View {
    func contains(subsequence s: String.UTF8View) -> Bool {
        let h = Array(self)
        let n = Array(s)
        if n.isEmpty { return true }
        guard h.count >= n.count else { return false }
        for i in 0...(h.count - n.count) where h[i] == n[0] && Array(h[i..<(i + n.count)]) == n { return true }
        return false
    }
}
