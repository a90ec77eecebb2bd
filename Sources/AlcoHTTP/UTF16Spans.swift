/// Turns UTF-8 byte ranges of a string into UTF-16 offsets, the unit browsers index text in.
enum UTF16Spans {
    static func convert(_ ranges: [Range<Int>], in text: String) -> [Range<Int>] {
        guard !ranges.isEmpty else { return [] }
        // Offsets are ascending, so one walk over the scalars maps them all.
        var bounds = ranges.flatMap { [$0.lowerBound, $0.upperBound] }
        var mapped = [Int](repeating: 0, count: bounds.count)
        let order = bounds.indices.sorted { bounds[$0] < bounds[$1] }
        var byte = 0
        var unit = 0
        var next = 0
        for scalar in text.unicodeScalars {
            while next < order.count, bounds[order[next]] <= byte {
                mapped[order[next]] = unit
                next += 1
            }
            byte += UTF8.width(scalar)
            unit += UTF16.width(scalar)
        }
        while next < order.count {
            mapped[order[next]] = unit
            next += 1
        }
        bounds = mapped
        return stride(from: 0, to: bounds.count, by: 2).compactMap { i in
            bounds[i] < bounds[i + 1] ? bounds[i]..<bounds[i + 1] : nil
        }
    }
}
