#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `findBytes` for short haystacks (dictionary terms): a plain loop on the first and last
/// needle bytes beats a memchr call per term.
@inline(__always)
func findInShort(_ hay: UnsafePointer<UInt8>, _ hayCount: Int, _ needle: UnsafePointer<UInt8>, _ needleCount: Int) -> Bool {
    if needleCount == 0 { return true }
    if hayCount < needleCount { return false }
    let first = needle[0]
    let lastByte = needle[needleCount - 1]
    var at = 0
    let end = hayCount - needleCount
    while at <= end {
        if hay[at] == first && hay[at + needleCount - 1] == lastByte
            && (needleCount <= 2 || memcmp(hay + at + 1, needle + 1, needleCount - 2) == 0)
        {
            return true
        }
        at += 1
    }
    return false
}

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
