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
}
