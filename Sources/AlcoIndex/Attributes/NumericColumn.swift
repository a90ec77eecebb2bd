enum NumericColumn {
    enum Kind: UInt8 { case raw = 0, scaled = 1, sparse = 2 }
    static let powers: [Double] = [1, 10, 100, 1000, 10000, 100_000, 1_000_000]

    /// Integers without a fraction, everything else as Swift prints doubles.
    static func format(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 9.0e15 { return String(Int64(d)) }
        return String(d)
    }
}
