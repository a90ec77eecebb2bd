import SphinxQL

/// ORDER BY of a grouped SELECT: keys that name COUNT(*), id or a column of the select list
/// (by alias or as written), compared as Sphinx compares them: numbers as numbers, text
/// byte by byte.
struct GroupOrder: Sendable {
    /// Per key: the row's column holding it, and the direction.
    let keys: [(column: Int, descending: Bool)]
    /// The engine's own order (most numerous first) already is this.
    let isEngineOrder: Bool
    /// OFFSET and LIMIT, cut after sorting.
    var page = (offset: 0, limit: 20)

    init(_ orderBy: [OrderKey], statement: SelectStatement, expansion: AliasExpansion) throws {
        var columns: [(name: String?, expression: Expression)] = []
        for (k, item) in statement.items.enumerated() {
            if case .star = item.expression {
                columns += [("id", .column("id")), ("logline", .column("logline")), ("js", .column("js"))]
            } else {
                columns.append((item.columnName, expansion.items[k]))
            }
        }
        var keys: [(Int, Bool)] = []
        // WEIGHT() of a group is its representative's: no order among groups.
        let orderBy = orderBy.filter {
            if case .function("weight", _) = $0.expression { return false }; return true
        }
        for key in orderBy {
            let (target, _) = try expansion.expand(key.expression)
            let written = SelectExecutor.name(of: key.expression)
            let index =
                columns.firstIndex { $0.name == written }
                ?? columns.firstIndex { Self.sameValue($0.expression, target) }
            guard let index else {
                throw StatementError("ORDER BY \(written) of a grouped SELECT must be COUNT(*), id or a column of the select list")
            }
            keys.append((index, key.descending))
        }
        self.keys = keys
        let countColumn = columns.firstIndex {
            if case .function("count", _) = $0.expression { return true }; return false
        }
        isEngineOrder = orderBy.isEmpty || (keys.count == 1 && keys[0].0 == countColumn && keys[0].1)
    }

    static func sameValue(_ a: Expression, _ b: Expression) -> Bool {
        switch (a, b) {
        case (.function("count", _), .function("count", _)): return true
        default: return a == b
        }
    }

    /// The rows in this order (ties keep the engine's order), then the page.
    func sortedPage(_ rows: [[Cell]]) -> [[Cell]] {
        let sorted = rows.enumerated().sorted { x, y in
            for (column, descending) in keys {
                let c = Self.compare(x.element[column], y.element[column])
                if c != 0 { return descending ? c > 0 : c < 0 }
            }
            return x.offset < y.offset
        }
        return Array(sorted.dropFirst(page.offset).prefix(page.limit).map(\.element))
    }

    /// -1, 0 or 1; NULL first, numbers (and text that reads as one) by value, else bytes.
    static func compare(_ a: Cell, _ b: Cell) -> Int {
        func number(_ c: Cell) -> Double? {
            switch c {
            case .int(let v): return Double(v)
            case .unsigned(let v): return Double(v)
            case .double(let d): return d
            case .string(let s): return Double(s)
            case .null: return nil
            }
        }
        switch (a, b) {
        case (.null, .null): return 0
        case (.null, _): return -1
        case (_, .null): return 1
        case (.unsigned(let x), .unsigned(let y)): return x < y ? -1 : x > y ? 1 : 0
        default: break
        }
        if let x = number(a), let y = number(b) { return x < y ? -1 : x > y ? 1 : 0 }
        let (x, y) = (Array((a.text ?? "").utf8), Array((b.text ?? "").utf8))
        return x.lexicographicallyPrecedes(y) ? -1 : x == y ? 0 : 1
    }
}
