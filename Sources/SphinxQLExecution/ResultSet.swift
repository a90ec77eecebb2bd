/// A column of a result set, typed the way Sphinx 2.2 reports it on the wire.
public struct ResultColumn: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// `id`: LONGLONG, unsigned.
        case unsignedBigInt
        /// counts and 0/1 expressions: LONG.
        case int
        case bigInt
        case double
        /// strings and JSON: STRING.
        case string
    }

    public var name: String
    public var kind: Kind

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

/// One cell; nil is SQL NULL.
public enum Cell: Equatable, Sendable {
    case null
    case unsigned(UInt64)
    case int(Int64)
    case double(Double)
    case string(String)

    /// The text form MySQL's text protocol sends.
    public var text: String? {
        switch self {
        case .null: return nil
        case .unsigned(let v): return String(v)
        case .int(let v): return String(v)
        case .double(let d): return String(format6: d)
        case .string(let s): return s
        }
    }
}

extension String {
    /// Sphinx prints floats with six decimals.
    public init(format6 d: Double) {
        // Past 2^53 a double has no fraction to print, and Int64 cannot hold it whole: the
        // shortest form that reads back as the same number.
        guard d.isFinite, abs(d) < 9.0e15 else {
            self = d.isNaN ? "nan" : d.isInfinite ? (d < 0 ? "-inf" : "inf") : String(describing: d)
            return
        }
        let scaled = (d * 1_000_000).rounded()
        let negative = scaled < 0
        let a = abs(scaled)
        let whole = Int64(a / 1_000_000)
        let frac = Int64(a.truncatingRemainder(dividingBy: 1_000_000))
        let f = String(frac)
        self = (negative ? "-" : "") + String(whole) + "." + String(repeating: "0", count: 6 - f.count) + f
    }
}

public struct ResultSet: Equatable, Sendable {
    public var columns: [ResultColumn]
    public var rows: [[Cell]]

    public init(columns: [ResultColumn], rows: [[Cell]] = []) {
        self.columns = columns
        self.rows = rows
    }
}
