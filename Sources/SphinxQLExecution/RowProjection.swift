import AlcoIndex
import SphinxQL

/// A select list compiled once per SELECT (its aliases already expanded by
/// `AliasExpansion`): each IN() or comparison
/// translated to a filter, each SNIPPET()'s query parsed into a highlighter, and the
/// top-level js keys any item reads collected, so a row costs only its own values (the js
/// members those keys name are the only ones decoded).
struct RowProjection {
    indirect enum Item {
        /// `*`: id, logline and js, expanded by `cells` (never nested).
        case star
        case id, logline, js
        /// `js.a.b`: the path below js.
        case jsPath([String])
        case constant(Cell)
        case weight
        case groupCount
        case snippet(field: Item, highlighter: Highlighter, options: SnippetOptions)
        /// IN(), comparisons, AND/OR/NOT: 1 or 0.
        case condition(Condition)
        /// An expression that cannot be evaluated: the error a row that reaches it throws.
        case failure(any Error)
    }

    indirect enum Condition {
        case and([Condition]), or([Condition]), not(Condition)
        /// Evaluated on the one document as WHERE would.
        case filter(Filter)
        case failure(any Error)
    }

    let items: [Item]
    private let jsKeys: [[UInt8]]

    /// - Parameter expressions: the select list's expressions with aliases expanded.
    init(_ expressions: [Expression]) {
        let compiler = Compiler()
        items = expressions.map { e in
            if case .star = e { return .star }
            return compiler.value(e)
        }
        var keys = Set<String>()
        for item in items { Self.collectKeys(item, into: &keys) }
        jsKeys = keys.sorted().map { Array($0.utf8) }
    }

    /// The row's cells in select-list order (`*` is id, logline, js).
    func cells(for hit: Hit, groupCount: Int?) throws -> [Cell] {
        let js = jsKeys.isEmpty ? JSONValue.object([]) : Self.members(of: hit.js, named: jsKeys)
        var row: [Cell] = []
        row.reserveCapacity(items.count + 2)
        for item in items {
            if case .star = item {
                row += [.unsigned(hit.id), .string(hit.logline), .string(hit.js)]
            } else {
                row.append(try value(item, hit: hit, js: js, groupCount: groupCount))
            }
        }
        return row
    }

    private func value(_ item: Item, hit: Hit, js: JSONValue, groupCount: Int?) throws -> Cell {
        switch item {
        case .star: return .null  // expanded by `cells`
        case .id: return .unsigned(hit.id)
        case .logline: return .string(hit.logline)
        case .js: return .string(hit.js)
        case .jsPath(let parts):
            var v: JSONValue? = js
            for part in parts { v = v?[part] }
            switch v {
            case .none, .some(.null): return .null
            case .some(.string(let s)): return .string(s)
            case .some(let other): return .string(other.displayText)
            }
        case .constant(let c): return c
        case .weight: return .int(Int64(hit.weight))
        case .groupCount: return .int(Int64(groupCount ?? 1))
        case .snippet(let field, let highlighter, let options):
            let text = try value(field, hit: hit, js: js, groupCount: groupCount).text ?? ""
            return .string(Snippet.make(text, highlighter: highlighter, options: options))
        case .condition(let c): return .int(try truth(c, hit: hit, js: js) ? 1 : 0)
        case .failure(let e): throw e
        }
    }

    private func truth(_ c: Condition, hit: Hit, js: JSONValue) throws -> Bool {
        switch c {
        case .and(let cs): return try cs.allSatisfy { try truth($0, hit: hit, js: js) }
        case .or(let cs): return try cs.contains { try truth($0, hit: hit, js: js) }
        case .not(let x): return try !truth(x, hit: hit, js: js)
        case .filter(let f): return SelectExecutor.matches(f, id: hit.id, js: js)
        case .failure(let e): throw e
        }
    }

    /// Turns expressions into items the way a row evaluates them: a value where one is asked
    /// for, a condition (evaluated as WHERE would) anywhere else.
    private struct Compiler {
        func value(_ e: Expression) -> Item {
            switch e {
            case .column("id"): return .id
            case .column("logline"): return .logline
            case .column("js"): return .js
            case .column(let c):
                guard c.hasPrefix("js.") else { return .failure(StatementError("unknown column '\(c)'")) }
                return .jsPath(c.dropFirst(3).split(separator: ".").map(String.init))
            case .integer(let n): return .constant(Int64(n).map(Cell.int) ?? UInt64(n).map(Cell.unsigned) ?? .string(n))
            case .float(let f): return .constant(.double(Double(f) ?? 0))
            case .string(let s): return .constant(.string(s))
            case .null: return .constant(.null)
            case .function("weight", _): return .weight
            case .function("count", _): return .groupCount
            case .function("snippet", let args):
                guard args.count >= 2, case .string(let q) = args[1] else {
                    return .failure(StatementError("SNIPPET() takes a field and a query string"))
                }
                var options = SnippetOptions()
                var queryMode = false
                if args.count >= 3, case .string(let opts) = args[2] { queryMode = SelectExecutor.apply(snippetOptions: opts, to: &options) }
                return .snippet(field: value(args[0]), highlighter: SnippetQuery.highlighter(q, queryMode: queryMode), options: options)
            default:
                return .condition(condition(e))
            }
        }

        func condition(_ e: Expression) -> Condition {
            switch e {
            case .and(let xs): return .and(xs.map(condition))
            case .or(let xs): return .or(xs.map(condition))
            case .not(let x): return .not(condition(x))
            default:
                // A filter on a one-document view: the same semantics as WHERE.
                do {
                    return .filter(try WhereTranslator().filter(e))
                } catch {
                    return .failure(error)
                }
            }
        }
    }

    private static func collectKeys(_ item: Item, into keys: inout Set<String>) {
        switch item {
        case .jsPath(let parts): if let first = parts.first { keys.insert(first) }
        case .snippet(let field, _, _): collectKeys(field, into: &keys)
        case .condition(let c): collectKeys(c, into: &keys)
        case .star, .id, .logline, .js, .constant, .weight, .groupCount, .failure: break
        }
    }

    private static func collectKeys(_ c: Condition, into keys: inout Set<String>) {
        switch c {
        case .and(let cs), .or(let cs):
            for x in cs { collectKeys(x, into: &keys) }
        case .not(let x): collectKeys(x, into: &keys)
        case .filter(let f): collectKeys(f, into: &keys)
        case .failure: break
        }
    }

    private static func collectKeys(_ f: Filter, into keys: inout Set<String>) {
        switch f {
        case .oneOf(let key, _), .compare(let key, _, _), .between(let key, _, _), .exists(let key):
            keys.insert(String(key.prefix { $0 != "." }))
        case .and(let fs), .or(let fs): for x in fs { collectKeys(x, into: &keys) }
        case .not(let x): collectKeys(x, into: &keys)
        case .idIn, .idCompare, .always: break
        }
    }

    /// The first member of `js` under each of `keys` (what a path reads), in document order,
    /// each value decoded; members before the last one wanted are only stepped over, and the
    /// walk ends there. Text that is not a JSON object reads as an empty one, as a full parse
    /// would have it (stored js is always an object: INSERT and the decoders check).
    static func members(of js: String, named keys: [[UInt8]]) -> JSONValue {
        struct AllFound: Error {}
        var text = js
        return text.withUTF8 { utf8 -> JSONValue in
            let raw = UnsafeRawBufferPointer(utf8)
            var found: [(key: String, value: JSONValue)] = []
            var seen = [Bool](repeating: false, count: keys.count)
            var escapedKey = false
            do {
                try JSONScanner.forEachTopLevelMember(raw) { keyRange, valueRange in
                    let key = UnsafeRawBufferPointer(rebasing: raw[keyRange])
                    if key.contains(UInt8(ascii: "\\")) {
                        escapedKey = true
                        return
                    }
                    guard let k = keys.firstIndex(where: { $0.elementsEqual(key) }), !seen[k] else { return }
                    seen[k] = true
                    let value = try JSONParser.parse(UnsafeRawBufferPointer(rebasing: raw[valueRange]))
                    found.append((String(decoding: key, as: UTF8.self), value))
                    if found.count == keys.count && !escapedKey { throw AllFound() }
                }
            } catch is AllFound {
                return .object(found)
            } catch {
                return .object([])
            }
            // A key written with escapes only compares equal once decoded: the rare document
            // that has one is decoded whole.
            if escapedKey { return (try? JSONParser.parse(raw)) ?? .object([]) }
            return .object(found)
        }
    }
}
