import CZstd
import Synchronization

/// Compresses many small blocks with zstd at one level, against an optional raw-content
/// dictionary prepared once (a `ZSTD_CDict`), so each block starts with matches into the
/// dictionary at no per-block cost beyond the block's own. Frames carry their content size (a
/// reader checks it against the index before allocating) and a checksum (up to 8 bytes a
/// frame): a damaged block is an error even where no page checksum covers it, never other text.
final class ZstdBlockCompressor {
    private let context: OpaquePointer
    private let prepared: OpaquePointer?

    init(level: Int32, dictionary: UnsafeRawBufferPointer? = nil) {
        context = ZSTD_createCCtx()!
        if let dictionary, dictionary.count > 0 {
            prepared = ZSTD_createCDict(dictionary.baseAddress, dictionary.count, level)
        } else {
            prepared = nil
        }
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 1)
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        ZSTD_CCtx_setParameter(context, ZSTD_c_dictIDFlag, 0)
        // ZSTD_c_forceAttachDict = ZSTD_dictForceAttach: a block uses the prepared dictionary's
        // tables where they are, rather than copying them into the context for every frame.
        ZSTD_CCtx_setParameter(context, ZSTD_c_experimentalParam4, 1)
        // Referenced, not passed per call: `ZSTD_compress_usingCDict` would take the frame
        // parameters from the dictionary and drop the checksum set above.
        if let prepared { ZSTD_CCtx_refCDict(context, prepared) }
    }

    deinit {
        if let prepared { ZSTD_freeCDict(prepared) }
        ZSTD_freeCCtx(context)
    }

    /// Appends one frame holding `input` to `output`; returns the frame's size.
    @discardableResult
    func compress(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) -> Int {
        let start = output.count
        let bound = ZSTD_compressBound(input.count)
        output.append(contentsOf: repeatElement(0, count: bound))
        let n = output.withUnsafeMutableBytes { dst -> Int in
            ZSTD_compress2(context, dst.baseAddress! + start, bound, input.baseAddress, input.count)
        }
        // Compressing into a buffer of the bound cannot fail; a failure here is a bug in the caller.
        precondition(ZSTD_isError(n) == 0, "zstd: \(String(cString: ZSTD_getErrorName(n)))")
        output.removeLast(bound - n)
        return n
    }
}

/// Decompresses frames written by `ZstdBlockCompressor`, against the same dictionary,
/// referenced for each frame as a raw-content prefix: zstd builds nothing from it, so a
/// segment costs no memory for its dictionary beyond its mapped pages, and opening one reads
/// none of it. (A column's first bytes start with a length varint and UTF-8, never zstd's
/// dictionary magic, so the compressor took them as raw content too.) Unchecked Sendable:
/// the dictionary's bytes are immutable.
final class ZstdBlockDecompressor: @unchecked Sendable {
    private let dictionary: UnsafeRawBufferPointer?

    init(dictionary: UnsafeRawBufferPointer?) {
        self.dictionary = dictionary.flatMap { $0.count > 0 ? $0 : nil }
    }

    /// The size a frame says it holds, or nil when its header is damaged or does not say.
    static func contentSize(_ frame: UnsafeRawBufferPointer) -> Int? {
        let n = ZSTD_getFrameContentSize(frame.baseAddress, frame.count)
        // ZSTD_CONTENTSIZE_UNKNOWN and _ERROR are the two largest values.
        guard n < UInt64.max - 1, n <= UInt64(Int.max) else { return nil }
        return Int(n)
    }

    /// Decompresses one frame into the start of `output`; returns the bytes written.
    func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = ZstdContexts.shared.withContext { dctx -> Int in
            // The prefix is discarded at the frame's end; a context without one decompresses plainly.
            if let dictionary {
                let referenced = ZSTD_DCtx_refPrefix(dctx, dictionary.baseAddress, dictionary.count)
                if ZSTD_isError(referenced) != 0 { return referenced }
            }
            return ZSTD_decompressDCtx(dctx, output.baseAddress, output.count, input.baseAddress, input.count)
        }
        guard ZSTD_isError(n) == 0 else {
            throw DecodeError("zstd frame does not decompress: \(String(cString: ZSTD_getErrorName(n)))")
        }
        return n
    }
}

/// Decompression contexts reused across reads: making one allocates ~100 KiB, more than a
/// 32 KiB block costs to decompress. At most a few are kept, one per concurrent reader.
final class ZstdContexts: Sendable {
    static let shared = ZstdContexts()
    private let idle = Mutex<[UInt]>([])
    private static let kept = 8

    func withContext<R>(_ body: (OpaquePointer) -> R) -> R {
        let taken = idle.withLock { $0.popLast() }
        let dctx = taken.map { OpaquePointer(bitPattern: $0)! } ?? ZSTD_createDCtx()!
        let result = body(dctx)
        // Whatever the last read left referenced (a prefix it failed before using) goes.
        ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters)
        let bits = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(dctx)))
        let keep = idle.withLock { list -> Bool in
            guard list.count < ZstdContexts.kept else { return false }
            list.append(bits)
            return true
        }
        if !keep { ZSTD_freeDCtx(dctx) }
        return result
    }
}
