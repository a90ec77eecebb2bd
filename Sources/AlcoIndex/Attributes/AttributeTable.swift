/// Every js key's values while a segment is built, kept in a few flat tables shared by all
/// keys: the key paths, the (key, value) pairs, and the occurrences in the order documents
/// arrive. Nothing is allocated per key, so a segment of lines whose keys only they have
/// (request ids as keys: 20 keys × 20,000 lines) costs tens of bytes per key, where an object
/// of tables per key cost about a kilobyte each.
///
/// `view(of:)` groups a key's part of the tables once the segment is complete.
final class AttributeTable {
    // Used by the one thread building the segment: no per-access exclusivity checks.
    @exclusivity(unchecked) private var paths = TermTable(capacity: 64)
    @exclusivity(unchecked) private var keys: [KeyState] = []
    /// `[key id (u32)][value bytes]` → value id (interned without building those bytes).
    @exclusivity(unchecked) private var values = TermTable(capacity: 1024)
    @exclusivity(unchecked) private var valueKey: [UInt32] = []
    @exclusivity(unchecked) private var valueLastDoc: [UInt32] = []
    /// String occurrences, one per (key, value, doc) in the order added; docs ascend.
    @exclusivity(unchecked) private var occurrenceKey: [UInt32] = []
    @exclusivity(unchecked) private var occurrenceValue: [UInt32] = []
    @exclusivity(unchecked) private var occurrenceDoc: [UInt32] = []
    /// The first number of each (key, doc).
    @exclusivity(unchecked) private var numberKey: [UInt32] = []
    @exclusivity(unchecked) private var numberDoc: [UInt32] = []
    @exclusivity(unchecked) private var numberValue: [Double] = []
    /// Distinct number literals per key for the column registry, bounded per key.
    @exclusivity(unchecked) private var samples = TermTable(capacity: 64)
    @exclusivity(unchecked) private var sampleKey: [UInt32] = []
    @exclusivity(unchecked) private var sampleLastDoc: [UInt32] = []

    struct KeyState {
        var lastDoc: UInt32 = 0
        var lastStringDoc: UInt32 = .max
        var lastStringValue: UInt32 = .max
        var lastNumberDoc: UInt32 = .max
        var samples = 0
    }

    var keyCount: Int { keys.count }

    func path(_ key: Int) -> UnsafeRawBufferPointer { paths.term(key) }

    /// The id of a key path, registered when new.
    @inline(__always)
    func key(_ path: UnsafeRawBufferPointer) -> Int {
        let id = paths.intern(path)
        if id == keys.count { keys.append(KeyState()) }
        return id
    }

    func addString(_ s: UnsafeRawBufferPointer, key: Int, doc: UInt32) {
        let id = values.intern(prefix: UInt32(key), s)
        if id == valueKey.count {
            valueKey.append(UInt32(key))
            valueLastDoc.append(doc)
        } else {
            valueLastDoc[id] = doc
        }
        // The key's state read and written once (each access to a class's array checks it).
        var state = keys[key]
        state.lastDoc = doc
        // A doc may repeat a value (arrays): one occurrence per (value, doc).
        let repeated = state.lastStringDoc == doc && state.lastStringValue == UInt32(id)
        state.lastStringDoc = doc
        state.lastStringValue = UInt32(id)
        keys[key] = state
        if repeated { return }
        occurrenceKey.append(UInt32(key))
        occurrenceValue.append(UInt32(id))
        occurrenceDoc.append(doc)
    }

    func addNumber(_ raw: UnsafeRawBufferPointer, key: Int, doc: UInt32) {
        keys[key].lastDoc = doc
        guard let d = AttributeTable.parseNumber(raw) else { return }
        if keys[key].lastNumberDoc != doc {
            keys[key].lastNumberDoc = doc
            numberKey.append(UInt32(key))
            numberDoc.append(doc)
            numberValue.append(d)
        }
        // Distinct values for the column registry, bounded: past the bound only the ones
        // already kept get their last doc updated.
        let sample =
            keys[key].samples < ColumnRegistry.maxValuesPerColumn
            ? samples.intern(prefix: UInt32(key), raw) : samples.find(prefix: UInt32(key), raw)
        if let sample {
            if sample == sampleKey.count {
                sampleKey.append(UInt32(key))
                sampleLastDoc.append(doc)
                keys[key].samples += 1
            } else {
                sampleLastDoc[sample] = doc
            }
        }
    }

    /// A JSON number literal's value, parsed in place (no String per value: this runs for
    /// every number of every document).
    static func parseNumber(_ raw: UnsafeRawBufferPointer) -> Double? {
        if let d = parseShortDecimal(raw) { return d }
        guard raw.count > 0, raw.count < 64 else { return raw.count == 0 ? nil : Double(String(decoding: raw, as: UTF8.self)) }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { text -> Double? in
            UnsafeMutableRawBufferPointer(text).copyMemory(from: raw)
            text[raw.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(text.baseAddress!, &end)
            return end == text.baseAddress! + raw.count ? value : nil
        }
    }

    /// Powers of ten a double holds exactly.
    private static let exactPowersOfTen: [Double] = (0...15).map { k in (0..<k).reduce(1.0) { r, _ in r * 10 } }

    /// `-?digits(.digits)?` with at most 15 digits in all (most numbers in logs: counts, ports,
    /// durations), without strtod: the digits as an integer are exact in a double, and so is
    /// the power of ten, so one division rounds correctly, to what strtod gives (Clinger's fast
    /// path). Nil for anything else (exponents, more digits), which strtod then reads.
    @inline(__always)
    static func parseShortDecimal(_ raw: UnsafeRawBufferPointer) -> Double? {
        var k = 0
        let negative = raw.count > 0 && raw[0] == UInt8(ascii: "-")
        if negative { k = 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var fraction = -1  // digits after the point; -1: no point yet
        while k < raw.count {
            let c = raw[k]
            if c &- UInt8(ascii: "0") < 10 {
                mantissa = mantissa &* 10 &+ UInt64(c &- UInt8(ascii: "0"))
                digits += 1
                if fraction >= 0 { fraction += 1 }
            } else if c == UInt8(ascii: "."), fraction < 0, digits > 0 {
                fraction = 0
            } else {
                return nil
            }
            k += 1
        }
        guard digits > 0, digits <= 15, fraction != 0 else { return nil }
        var value = Double(mantissa)
        if fraction > 0 { value /= exactPowersOfTen[fraction] }
        return negative ? -value : value
    }

    /// One key's part of the tables (slices of `Grouped`'s flat arrays).
    struct KeyView {
        /// Value ids (of the shared table) in the order first seen; local value k is `values[k]`.
        var values: ArraySlice<Int>
        /// Occurrences as local value indexes and docs, docs ascending.
        var occurrenceValue: ArraySlice<UInt32>
        var occurrenceDoc: ArraySlice<UInt32>
        var numberDocs: ArraySlice<UInt32>
        var numberValues: ArraySlice<Double>
        var samples: ArraySlice<Int>
        var lastDoc: UInt32
    }

    /// The tables grouped by key (a counting sort of each, stable, so docs keep ascending):
    /// flat arrays with each key's start, not an array per key.
    struct Grouped {
        var valueStart: [Int] = []
        var values: [Int] = []
        var occurrenceStart: [Int] = []
        var occurrenceValue: [UInt32] = []
        var occurrenceDoc: [UInt32] = []
        var numberStart: [Int] = []
        var numberDocs: [UInt32] = []
        var numberValues: [Double] = []
        var sampleStart: [Int] = []
        var samples: [Int] = []
        var lastDoc: [UInt32] = []

        func view(_ k: Int) -> KeyView {
            KeyView(
                values: values[valueStart[k]..<valueStart[k + 1]],
                occurrenceValue: occurrenceValue[occurrenceStart[k]..<occurrenceStart[k + 1]],
                occurrenceDoc: occurrenceDoc[occurrenceStart[k]..<occurrenceStart[k + 1]],
                numberDocs: numberDocs[numberStart[k]..<numberStart[k + 1]],
                numberValues: numberValues[numberStart[k]..<numberStart[k + 1]],
                samples: samples[sampleStart[k]..<sampleStart[k + 1]], lastDoc: lastDoc[k])
        }
    }

    /// Start of each key's run in a table grouped by key (`keys + 1` entries).
    private func starts(_ keyOf: [UInt32]) -> [Int] {
        var start = [Int](repeating: 0, count: keys.count + 1)
        for k in keyOf { start[Int(k) + 1] += 1 }
        for k in 0..<keys.count { start[k + 1] += start[k] }
        return start
    }

    func grouped() -> Grouped {
        var g = Grouped()
        g.lastDoc = keys.map(\.lastDoc)
        g.valueStart = starts(valueKey)
        var local = [UInt32](repeating: 0, count: valueKey.count)
        var fill = g.valueStart
        g.values = [Int](repeating: 0, count: valueKey.count)
        for (v, k) in valueKey.enumerated() {
            local[v] = UInt32(fill[Int(k)] - g.valueStart[Int(k)])
            g.values[fill[Int(k)]] = v
            fill[Int(k)] += 1
        }
        g.occurrenceStart = starts(occurrenceKey)
        fill = g.occurrenceStart
        g.occurrenceValue = [UInt32](repeating: 0, count: occurrenceKey.count)
        g.occurrenceDoc = [UInt32](repeating: 0, count: occurrenceKey.count)
        for i in occurrenceKey.indices {
            let k = Int(occurrenceKey[i])
            g.occurrenceValue[fill[k]] = local[Int(occurrenceValue[i])]
            g.occurrenceDoc[fill[k]] = occurrenceDoc[i]
            fill[k] += 1
        }
        g.numberStart = starts(numberKey)
        fill = g.numberStart
        g.numberDocs = [UInt32](repeating: 0, count: numberKey.count)
        g.numberValues = [Double](repeating: 0, count: numberKey.count)
        for i in numberKey.indices {
            let k = Int(numberKey[i])
            g.numberDocs[fill[k]] = numberDoc[i]
            g.numberValues[fill[k]] = numberValue[i]
            fill[k] += 1
        }
        g.sampleStart = starts(sampleKey)
        fill = g.sampleStart
        g.samples = [Int](repeating: 0, count: sampleKey.count)
        for (s, k) in sampleKey.enumerated() {
            g.samples[fill[Int(k)]] = s
            fill[Int(k)] += 1
        }
        return g
    }

    /// A value's bytes (without its key prefix).
    func valueBytes(_ id: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: values.term(id).dropFirst(4)) }
    func valueLastDoc(_ id: Int) -> UInt32 { valueLastDoc[id] }
    func sampleBytes(_ id: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: samples.term(id).dropFirst(4)) }
    func sampleLastDoc(_ id: Int) -> UInt32 { sampleLastDoc[id] }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
