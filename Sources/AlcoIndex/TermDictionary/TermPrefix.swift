/// The first 8 bytes of a dictionary key as a big-endian integer, zero-padded: comparing two
/// keys' prefixes orders them as the keys are ordered whenever the prefixes differ (a key
/// that is a proper prefix of another pads with zeros, which sort first), so a binary search
/// decides most probes on the prefix alone and reads a block's first term only on a tie.
enum TermPrefix {
    static func of(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<8 { v = v << 8 | UInt64(k < key.count ? key[k] : 0) }
        return v
    }

    static func of(_ key: [UInt8]) -> UInt64 {
        key.withUnsafeBytes { of($0) }
    }

    /// Blocks between two sampled prefixes: one 4 KiB page of the prefix array.
    static let sampleStride = 512

    /// The sample section for a prefix section (`u32 count, u32 0, u64 prefix...`): its
    /// entries 0, stride, 2 × stride, ... in the same layout. Empty when the array is one page.
    static func sample(of prefixes: [UInt8]) -> [UInt8] {
        guard prefixes.count >= 8 else { return [] }
        let blocks = (prefixes.count - 8) / 8
        guard blocks > sampleStride else { return [] }
        var out = ByteWriter()
        let count = (blocks + sampleStride - 1) / sampleStride
        out.u32(UInt32(count))
        out.u32(0)
        for k in 0..<count { out.append(contentsOf: prefixes[(8 + 8 * k * sampleStride)..<(16 + 8 * k * sampleStride)]) }
        return out.take()
    }

    /// The blocks a binary search for a key with prefix `key` must still probe, given every
    /// `stride`th block's first-term prefix: a sampled block whose prefix is below the key's
    /// starts with a smaller term (so the answer is at or after it), one whose prefix is above
    /// starts with a greater term (the answer is before it); equal prefixes decide nothing.
    static func narrow(_ sample: [UInt64], stride: Int, blockCount: Int, key: UInt64) -> Range<Int> {
        // The first sampled entry from `lo` on for which `passes` turns false (it holds for a
        // prefix of the sorted sample).
        func firstFailing(from lo: Int, _ passes: (UInt64) -> Bool) -> Int {
            var lo = lo
            var hi = sample.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if passes(sample[mid]) { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        let firstNotBelow = firstFailing(from: 0) { $0 < key }
        let firstAbove = firstFailing(from: firstNotBelow) { $0 <= key }
        let from = firstNotBelow == 0 ? 0 : min(blockCount, (firstNotBelow - 1) * stride + 1)
        let to = firstAbove >= sample.count ? blockCount : min(blockCount, firstAbove * stride)
        return from..<max(from, to)
    }
}
