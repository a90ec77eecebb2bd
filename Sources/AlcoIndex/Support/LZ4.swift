import CLZ4

/// Reads the doc store blocks of segment formats 1 to 4 (LZ4, through Debian's liblz4);
/// format 5 writes zstd (`Zstd.swift`).
public enum LZ4 {
    /// Decompresses into `output`, which must be exactly the original size; blocks of a
    /// segment with a doc store dictionary need it.
    public static func decompress(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
        dictionary: UnsafeRawBufferPointer? = nil
    ) throws {
        let src = input.baseAddress?.assumingMemoryBound(to: CChar.self)
        let dst = output.baseAddress?.assumingMemoryBound(to: CChar.self)
        let n: Int32
        if let dictionary, dictionary.count > 0 {
            n = LZ4_decompress_safe_usingDict(
                src, dst, Int32(input.count), Int32(output.count),
                dictionary.baseAddress!.assumingMemoryBound(to: CChar.self),
                Int32(dictionary.count))
        } else {
            n = LZ4_decompress_safe(src, dst, Int32(input.count), Int32(output.count))
        }
        guard n == Int32(output.count) else {
            throw DecodeError("LZ4 block does not decompress (got \(n), expected \(output.count))")
        }
    }
}
