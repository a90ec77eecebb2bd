import Crypto

/// SHA-1, only for `mysql_native_password`, which is defined in terms of it (swift-crypto's
/// `Insecure.SHA1`: not for anything that needs a strong hash).
enum SHA1 {
    static func hash(_ message: some Collection<UInt8>) -> [UInt8] {
        var hasher = Insecure.SHA1()
        if message.withContiguousStorageIfAvailable({ hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }) == nil {
            hasher.update(data: Array(message))
        }
        return Array(hasher.finalize())
    }
}
