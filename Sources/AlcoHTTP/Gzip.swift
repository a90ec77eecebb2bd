import CZlib

/// gzip (or zlib) request bodies, inflated with a ceiling so a small bomb cannot grow past
/// the body limit.
enum Gzip {
    enum Failure: Error, Equatable {
        case corrupt(String)
        case tooLarge(limit: Int)
    }

    static func inflate(_ input: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard alco_inflate_init_auto(&stream) == Z_OK else { throw .corrupt("cannot start zlib") }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256 << 10)
        var input = input
        let status: Int32 = input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = uInt(inBuf.count)
            var status = Z_OK
            repeat {
                chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    output.append(contentsOf: out.prefix(out.count - Int(stream.avail_out)))
                }
                if output.count > limit { return -100 }
                // Concatenated gzip members (what `cat a.gz b.gz` makes) go on.
                if status == Z_STREAM_END && stream.avail_in > 0 {
                    inflateReset(&stream)
                    status = Z_OK
                }
            } while status == Z_OK
            return status
        }
        if status == -100 { throw .tooLarge(limit: limit) }
        guard status == Z_STREAM_END else { throw .corrupt("gzip body is corrupt or truncated (zlib status \(status))") }
        return output
    }
}
