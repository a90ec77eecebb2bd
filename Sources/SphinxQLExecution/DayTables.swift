import AlcoIndex

/// The tables ALCO's generated sphinx.conf declared for an index, as SHOW TABLES and DESCRIBE
/// list them: `<index>` (distributed over every day), and per day `<index>_<YYYYMMDD>` (rt) and
/// `<index>_<YYYYMMDD>_distr` (distributed over that day and every later one). The days are the
/// ones the index holds, today's and tomorrow's (ALCO created both days' tables ahead).
///
/// Queries resolve any day form (`TableName`), listed or not: a day with no lines answers with
/// no rows, where Sphinx knew no such index.
struct DayTables {
    let index: String
    /// Ascending.
    let days: [Int]

    init(index: String, days: [Int]) {
        self.index = index
        self.days = days
    }

    init(_ index: LogIndex) {
        let (today, tomorrow) = index.currentDays()
        self.init(index: index.name, days: Set(index.heldDays).union([today, tomorrow]).sorted())
    }

    enum Kind: String {
        case rt
        case distributed
    }

    func name(ofDay day: Int) -> String { "\(index)_\(day)" }

    /// Every table with its kind, as SHOW TABLES lists them (by name).
    var listing: [(name: String, kind: Kind)] {
        var out: [(name: String, kind: Kind)] = [(index, .distributed)]
        for day in days {
            out.append((name(ofDay: day), .rt))
            out.append((name(ofDay: day) + "_distr", .distributed))
        }
        return out
    }

    /// What a resolved table is here: one day's rt table, or a distributed one with the day
    /// tables it reads (its agents, in Sphinx's words). Nil for a day this index does not list.
    enum Table: Equatable {
        case day(Int)
        case distributed(agents: [String])
    }

    func table(_ name: TableName) -> Table? {
        switch name.partitions {
        case .day(let day):
            return days.contains(day) ? .day(day) : nil
        case .fromDay(let day):
            guard days.contains(day) else { return nil }
            return .distributed(agents: days.filter { $0 >= day }.map(name(ofDay:)))
        case .all, .anyOf:
            return .distributed(agents: days.map(name(ofDay:)))
        }
    }
}
