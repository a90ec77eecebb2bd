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

    /// Decompresses into `output`, which must be exactly the original size; blocks written by
    /// a `LZ4DictionaryCompressor` need its dictionary.
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

/// Compresses many small blocks against one dictionary (LZ4's window reaches back into it, so
/// a block's first lines find matches too). The dictionary is loaded once; each block starts
/// from a copy of that loaded state, which liblz4 allows and which costs a memcpy, not a reload.
final class LZ4DictionaryCompressor {
    private let dictionary: UnsafeMutableRawBufferPointer
    private let high: Bool
    private let stateBytes: Int
    private let loaded: UnsafeMutableRawPointer
    private let working: UnsafeMutableRawPointer

    init(dictionary bytes: UnsafeRawBufferPointer, high: Bool, level: Int32 = 4) {
        dictionary = .allocate(byteCount: max(bytes.count, 1), alignment: 16)
        dictionary.copyMemory(from: bytes)
        self.high = high
        stateBytes = high ? MemoryLayout<LZ4_streamHC_t>.size : MemoryLayout<LZ4_stream_t>.size
        loaded = .allocate(byteCount: stateBytes, alignment: 16)
        working = .allocate(byteCount: stateBytes, alignment: 16)
        let dict = dictionary.baseAddress!.assumingMemoryBound(to: CChar.self)
        if high {
            let state = LZ4_initStreamHC(loaded, stateBytes)!
            LZ4_resetStreamHC_fast(state, level)
            LZ4_loadDictHC(state, dict, Int32(bytes.count))
        } else {
            let state = LZ4_initStream(loaded, stateBytes)!
            LZ4_loadDict(state, dict, Int32(bytes.count))
        }
    }

    deinit {
        dictionary.deallocate()
        loaded.deallocate()
        working.deallocate()
    }

    func compress(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        working.copyMemory(from: loaded, byteCount: stateBytes)
        let bound = Int(LZ4_compressBound(Int32(input.count)))
        var out = [UInt8](repeating: 0, count: max(bound, 1))
        let src = input.baseAddress?.assumingMemoryBound(to: CChar.self)
        let n = out.withUnsafeMutableBytes { dst in
            let d = dst.baseAddress!.assumingMemoryBound(to: CChar.self)
            return high
                ? LZ4_compress_HC_continue(
                    working.assumingMemoryBound(to: LZ4_streamHC_t.self), src, d,
                    Int32(input.count), Int32(dst.count))
                : LZ4_compress_fast_continue(
                    working.assumingMemoryBound(to: LZ4_stream_t.self), src, d,
                    Int32(input.count), Int32(dst.count), 1)
        }
        out.removeLast(out.count - Int(n))
        return out
    }
}
