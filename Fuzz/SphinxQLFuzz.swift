// libFuzzer entry point for the SphinxQL parser: any bytes must parse or fail with a
// SphinxQLError, never crash. Built by Fuzz/run.sh with `swiftc -sanitize=fuzzer`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSphinxQL(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        _ = try Parser.parseBatch(text)
    } catch is SphinxQLError {
    } catch {
        fatalError("unexpected error type: \(error)")
    }
    return 0
}
