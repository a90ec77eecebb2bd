/// Fixed-width bit packing of small unsigned integers, little-endian bit order: value `i` of
/// width `w` occupies bits `i*w ..< (i+1)*w` of the run. Forward and numeric columns are
/// written with 8 bytes of slack so readers load a word at any value unchecked; posting
/// blocks (doc gaps, frequencies, positions: a few bits each, often none) are packed tight
/// by `BitPacker` and read with a bounds check, as they are many and small.
enum BitPacking {
    static func write(_ values: [UInt32], width: Int, to out: inout ByteWriter) {
        write64(values.map(UInt64.init), width: width, to: &out)
    }

    static func write64(_ values: [UInt64], width: Int, to out: inout ByteWriter) {
        var packer = BitPacker(width: width)
        for v in values { packer.add(v, to: &out) }
        packer.finish(to: &out)
        for _ in 0..<8 { out.u8(0) }  // slack so readers can load 8 bytes at any value
    }

    @inline(__always)
    static func read(_ base: UnsafeRawPointer, index: Int, width: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: read64(base, index: index, width: width))
    }

    @inline(__always)
    static func read64(_ base: UnsafeRawPointer, index: Int, width: Int) -> UInt64 {
        let bit = index * width
        let word = base.loadUnaligned(fromByteOffset: bit >> 3, as: UInt64.self).littleEndian
        return (word >> UInt64(bit & 7)) & ((1 << UInt64(width)) - 1)
    }

    /// Bytes a run written by `write` or `write64` takes, slack included.
    static func byteCount(count: Int, width: Int) -> Int { (count * width + 7) / 8 + 8 }

    /// Bits needed for `maxValue` (0 for 0).
    @inline(__always)
    static func width(of maxValue: UInt32) -> Int { 32 - maxValue.leadingZeroBitCount }

    /// Bytes a tight run (`BitPacker`) of `count` values of `width` bits takes.
    @inline(__always)
    static func packedByteCount(count: Int, width: Int) -> Int { (count * width + 7) >> 3 }

    /// Calls `body` with each of the `count` values of the run at `start`, in order: a word
    /// load and a shift each, checked once for the run rather than per value.
    @inline(__always)
    static func forEach(
        _ bytes: UnsafeRawBufferPointer, start: Int, count: Int, width: Int, _ body: (UInt32) -> Void
    ) {
        guard width > 0 else {
            for _ in 0..<count { body(0) }
            return
        }
        let w = min(width, 32)
        guard start + packedByteCount(count: count, width: w) + 8 <= bytes.count else {
            for k in 0..<count { body(value(bytes, start: start, index: k, width: w)) }
            return
        }
        let base = bytes.baseAddress! + start
        let mask: UInt64 = (1 << UInt64(w)) - 1
        var bit = 0
        for _ in 0..<count {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: bit >> 3, as: UInt64.self))
            body(UInt32(truncatingIfNeeded: (word >> UInt64(bit & 7)) & mask))
            bit += w
        }
    }

    /// Value `index` of the run of `width`-bit values at `start`. Reads whole words where the
    /// buffer allows and byte by byte at its end, so a run ending a section is read in bounds.
    @inline(__always)
    static func value(
        _ bytes: UnsafeRawBufferPointer, start: Int, index: Int, width: Int
    ) -> UInt32 {
        guard width > 0 else { return 0 }
        let w = min(width, 32)
        let bit = index * w
        let at = start + bit >> 3
        var word: UInt64
        if at + 8 <= bytes.count {
            word = bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self)
        } else {
            word = 0
            var k = 0
            while at + k < bytes.count && k < 8 {
                word |= UInt64(bytes[at + k]) << UInt64(8 * k)
                k += 1
            }
        }
        word = UInt64(littleEndian: word)
        return UInt32(truncatingIfNeeded: (word >> UInt64(bit & 7)) & ((1 << UInt64(w)) - 1))
    }
}

/// Packs values one at a time at a fixed width of up to 56 bits (the accumulator then never
/// holds more than 63).
struct BitPacker {
    private let width: Int
    private var acc: UInt64 = 0
    private var bits = 0

    init(width: Int) {
        self.width = width
    }

    /// Writes the width byte first, as posting blocks carry it.
    init(width: Int, to out: inout ByteWriter) {
        self.init(width: width)
        out.u8(UInt8(width))
    }

    @inline(__always)
    mutating func add(_ v: UInt32, to out: inout ByteWriter) { add(UInt64(v), to: &out) }

    @inline(__always)
    mutating func add(_ v: UInt64, to out: inout ByteWriter) {
        guard width > 0 else { return }
        acc |= v << UInt64(bits)
        bits += width
        while bits >= 8 {
            out.u8(UInt8(truncatingIfNeeded: acc))
            acc >>= 8
            bits -= 8
        }
    }

    mutating func finish(to out: inout ByteWriter) {
        if bits > 0 { out.u8(UInt8(truncatingIfNeeded: acc)) }
        bits = 0
    }
}
