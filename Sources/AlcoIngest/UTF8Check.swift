/// Whether bytes are valid UTF-8, eight ASCII bytes at a time (most log messages are ASCII),
/// with the standard library's validation for the rest.
enum UTF8Check {
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            if base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
            i += 8
        }
        while i < n && base.load(fromByteOffset: i, as: UInt8.self) < 0x80 { i += 1 }
        if i == n { return true }
        // Bytes before `i` are ASCII, so a character starts at `i`.
        return String(validating: UnsafeRawBufferPointer(rebasing: bytes[i...]), as: UTF8.self) != nil
    }
}
