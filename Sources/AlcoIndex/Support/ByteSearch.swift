#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds `needle` in `haystack` (memchr on the first byte, then memcmp), like GNU memmem,
/// which Swift's Glibc module does not export.
@inline(__always)
func findBytes(_ haystack: UnsafeRawPointer?, _ hayCount: Int, _ needle: UnsafeRawPointer?, _ needleCount: Int) -> Bool {
    if needleCount == 0 { return true }
    guard let haystack, let needle, hayCount >= needleCount else { return false }
    let first = Int32(needle.load(as: UInt8.self))
    var at = haystack
    let last = haystack + (hayCount - needleCount)
    while at <= last {
        guard let hit = memchr(at, first, last - at + 1) else { return false }
        let p = UnsafeRawPointer(hit)
        if memcmp(p, needle, needleCount) == 0 { return true }
        at = p + 1
    }
    return false
}
