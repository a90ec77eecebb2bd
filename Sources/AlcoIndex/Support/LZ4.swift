import CLZ4

/// Block compression for the doc store, through Debian's liblz4.
public enum LZ4 {
    public static func compress(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        let bound = Int(LZ4_compressBound(Int32(input.count)))
        var out = [UInt8](repeating: 0, count: max(bound, 1))
        let n = out.withUnsafeMutableBytes { dst in
            LZ4_compress_default(
                input.baseAddress?.assumingMemoryBound(to: CChar.self),
                dst.baseAddress!.assumingMemoryBound(to: CChar.self),
                Int32(input.count), Int32(dst.count))
        }
        out.removeLast(out.count - Int(n))
        return out
    }

    /// LZ4HC: slower to write, about 25% smaller, as fast to read (used when merging).
    public static func compressHigh(_ input: UnsafeRawBufferPointer, level: Int32 = 4) -> [UInt8] {
        let bound = Int(LZ4_compressBound(Int32(input.count)))
        var out = [UInt8](repeating: 0, count: max(bound, 1))
        let n = out.withUnsafeMutableBytes { dst in
            LZ4_compress_HC(
                input.baseAddress?.assumingMemoryBound(to: CChar.self),
                dst.baseAddress!.assumingMemoryBound(to: CChar.self),
                Int32(input.count), Int32(dst.count), level)
        }
        out.removeLast(out.count - Int(n))
        return out
    }

    /// Decompresses into `output`, which must be exactly the original size.
    public static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        let n = LZ4_decompress_safe(
            input.baseAddress?.assumingMemoryBound(to: CChar.self),
            output.baseAddress?.assumingMemoryBound(to: CChar.self),
            Int32(input.count), Int32(output.count))
        guard n == Int32(output.count) else {
            throw DecodeError("LZ4 block does not decompress (got \(n), expected \(output.count))")
        }
    }
}
