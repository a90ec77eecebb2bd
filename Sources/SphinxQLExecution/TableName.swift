import AlcoIndex

/// ALCO's generated sphinx.conf named tables `<index>` (every kept day), `<index>_<YYYYMMDD>`
/// (one day) and `<index>_<YYYYMMDD>_distr` (that day and every later one).
public struct TableName: Equatable, Sendable {
    public var index: String
    public var partitions: PartitionSelection

    /// Resolves `name` against the indexes that exist: an exact index name wins, then the
    /// day forms. Nil when it names nothing.
    public static func resolve(_ name: String, exists: (String) -> Bool) -> TableName? {
        if exists(name) { return TableName(index: name, partitions: .all) }
        var base = Substring(name)
        var later = false
        if base.hasSuffix("_distr") {
            base = base.dropLast(6)
            later = true
        }
        guard base.count > 9, let underscore = base.lastIndex(of: "_") else { return nil }
        let digits = base[base.index(after: underscore)...]
        guard digits.count == 8, digits.allSatisfy(\.isNumber), let day = Int(digits) else { return nil }
        let month = day / 100 % 100
        let dom = day % 100
        guard (1...12).contains(month), (1...31).contains(dom) else { return nil }
        let index = String(base[..<underscore])
        guard exists(index) else { return nil }
        return TableName(index: index, partitions: later ? .fromDay(day) : .day(day))
    }
}
