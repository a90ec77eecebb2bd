import CSupport

/// CRC-32C (Castagnoli) for WAL records and segment sections: the CPU's instruction where it
/// has one (about ten times faster: every byte indexed is checksummed twice), else
/// slicing-by-8 tables.
public enum CRC32C {
    static let hardware = alco_crc32c_available() != 0

    static let tables: [[UInt32]] = {
        let poly: UInt32 = 0x82F6_3B78
        var t = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ poly : c >> 1 }
            t[0][i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 {
                let prev = t[k - 1][i]
                t[k][i] = (prev >> 8) ^ t[0][Int(prev & 0xff)]
            }
        }
        return t
    }()

    static let flat: [UInt32] = tables.flatMap { $0 }

    public static func checksum(_ data: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        if hardware {
            guard let base = data.baseAddress else { return seed }
            return ~alco_crc32c_update(~seed, base, data.count)
        }
        return software(data, seed: seed)
    }

    /// The table-driven computation (also what tests compare the instruction with).
    static func software(_ data: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        var crc = ~seed
        flat.withUnsafeBufferPointer { t in
            var i = 0
            let n = data.count
            while i + 8 <= n {
                let lo = data.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian ^ crc
                let hi = data.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self).littleEndian
                crc =
                    t[7 * 256 + Int(lo & 0xff)] ^ t[6 * 256 + Int((lo >> 8) & 0xff)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xff)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xff)] ^ t[2 * 256 + Int((hi >> 8) & 0xff)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xff)] ^ t[0 * 256 + Int(hi >> 24)]
                i += 8
            }
            while i < n {
                crc = (crc >> 8) ^ t[Int((crc ^ UInt32(data[i])) & 0xff)]
                i += 1
            }
        }
        return ~crc
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
