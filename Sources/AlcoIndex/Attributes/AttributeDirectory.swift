import Synchronization

/// A segment's js keys, found by binary search over its attribute directory rather than
/// decoded into a dictionary when the segment opens: a segment of lines whose keys only they
/// have (request ids as keys) holds hundreds of thousands of keys, and a dictionary entry, an
/// `AttributeReader` and a tally for each took more memory than the segment's data.
/// Readers and tallies are made when a query names a key, and the last few are kept.
final class AttributeDirectory: @unchecked Sendable {
    private let directory: UnsafeRawBufferPointer
    private let data: UnsafeRawBufferPointer
    private let tallies: UnsafeRawBufferPointer?
    /// Where each string key's tally starts (format 4; nil: found by walking the tallies).
    private let tallyStarts: UnsafeRawBufferPointer?
    private let docCount: Int
    private let pages: PageVerifier?
    /// Each entry's offset in `directory`, ordered by key bytes.
    private let entries: [Int32]
    /// Each entry's place in the directory as written, in `entries` order (nil: the same).
    private let writtenOrder: [Int32]?
    /// Each entry's offset in the order written (shares `entries`' storage when sorted).
    private let writtenOffsets: [Int32]
    /// Places in the directory of the keys with strings, whose tallies follow in that order.
    private let keysWithStrings: [Int32]
    /// Each key's tally offset in `tallies` (-1: none), in directory order; found when a
    /// reader is first made, so opening does not read the tallies.
    private let tallyIndex = Mutex<[Int32]?>(nil)
    /// The last readers made, by key.
    private let recent = Mutex<[String: AttributeReader]>([:])
    static let cachedReaders = 256

    var count: Int { entries.count }

    /// Walks the directory once to index it (and checks every entry decodes).
    init(
        directory: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer, tallies: UnsafeRawBufferPointer?,
        tallyOffsets: UnsafeRawBufferPointer? = nil, docCount: Int, pages: PageVerifier?
    ) throws {
        self.directory = directory
        self.data = data
        self.tallies = tallies
        self.tallyStarts = tallyOffsets
        self.docCount = docCount
        self.pages = pages
        try pages?.require(directory)
        var r = ByteReader(directory)
        let n = try r.varintInt()
        guard n <= directory.count else { throw DecodeError("\(n) attributes in \(directory.count) bytes") }
        var offsets: [Int32] = []
        offsets.reserveCapacity(n)
        var keysWithStrings: [Int32] = []
        for k in 0..<n {
            offsets.append(Int32(r.offset))
            let reader = try AttributeReader.readEntry(&r, data: data, docCount: docCount, named: false, pages: pages)
            if reader.hasStrings { keysWithStrings.append(Int32(k)) }
        }
        self.keysWithStrings = keysWithStrings
        writtenOffsets = offsets
        // Ordered by key bytes for binary search: as written since format 3; older builders
        // sorted by String, which differs for some non-ASCII keys.
        let sorted = offsets.indices.dropFirst().allSatisfy { k in
            AttributeDirectory.compare(
                AttributeDirectory.key(directory, Int(offsets[k - 1])),
                AttributeDirectory.key(directory, Int(offsets[k]))) < 0
        }
        if sorted {
            entries = offsets
            writtenOrder = nil
        } else {
            let order = offsets.indices.sorted { a, b in
                AttributeDirectory.compare(
                    AttributeDirectory.key(directory, Int(offsets[a])),
                    AttributeDirectory.key(directory, Int(offsets[b]))) < 0
            }
            entries = order.map { offsets[$0] }
            writtenOrder = order.map { Int32($0) }
        }
    }

    /// Each key's tally offset, in directory order (found on first use). Tallies follow the
    /// directory's order for keys with strings (as the builder writes them), each checked to
    /// name its key; damaged or unreadable ones are none (a tally is then counted from the
    /// column, and damage fails the search).
    private func tallyOffsets() -> [Int32] {
        tallyIndex.withLock { known in
            if let known { return known }
            var tallyAt = [Int32](repeating: -1, count: entries.count)
            if let tallies, let starts = tallyStarts, starts.count == 4 + 4 * keysWithStrings.count,
                pages?.check(starts) ?? true,
                Int(UInt32(littleEndian: starts.loadUnaligned(as: UInt32.self))) == keysWithStrings.count
            {
                // Each key's own tally is read (and checked) when its reader is made.
                for (j, k) in keysWithStrings.enumerated() {
                    let at = Int(UInt32(littleEndian: starts.loadUnaligned(fromByteOffset: 4 + 4 * j, as: UInt32.self)))
                    if at < tallies.count { tallyAt[Int(k)] = Int32(at) }
                }
            } else if let tallies, pages?.check(tallies) ?? true {
                var t = ByteReader(tallies)
                do {
                    let m = try t.varintInt()
                    guard m == keysWithStrings.count else { throw DecodeError("\(m) forward tallies for \(keysWithStrings.count) keys") }
                    for k in keysWithStrings {
                        let at = t.offset
                        let key = AttributeDirectory.key(directory, Int(writtenOffsets[Int(k)]))
                        guard try t.blob().elementsEqual(key) else { throw DecodeError("a forward tally out of key order") }
                        let ranks = try t.varintInt()
                        guard ranks <= tallies.count else { throw DecodeError("a tally of \(ranks) ranks in \(tallies.count) bytes") }
                        for _ in 0..<(2 * ranks) { _ = try t.varint() }
                        tallyAt[Int(k)] = Int32(at)
                    }
                } catch {
                    tallyAt = [Int32](repeating: -1, count: entries.count)
                }
            }
            known = tallyAt
            return tallyAt
        }
    }

    static func key(_ directory: UnsafeRawBufferPointer, _ at: Int) -> UnsafeRawBufferPointer {
        var r = ByteReader(directory, offset: at)
        return (try? r.blob()) ?? UnsafeRawBufferPointer(start: nil, count: 0)
    }

    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        let c = n > 0 ? Int(memcmp(a.baseAddress!, b.baseAddress!, n)) : 0
        return c != 0 ? c : a.count - b.count
    }

    /// Every key, in byte order.
    var keys: [String] { entries.map { String(decoding: AttributeDirectory.key(directory, Int($0)), as: UTF8.self) } }

    /// The key's reader (with its whole-segment tally), or nil when no document has the key.
    func reader(_ key: String) -> AttributeReader? {
        if let r = recent.withLock({ $0[key] }) { return r }
        var k = key
        let found: Int? = k.withUTF8 { wanted in
            var lo = 0
            var hi = entries.count
            while lo < hi {
                let mid = (lo + hi) / 2
                let c = AttributeDirectory.compare(AttributeDirectory.key(directory, Int(entries[mid])), UnsafeRawBufferPointer(wanted))
                if c == 0 { return mid }
                if c < 0 { lo = mid + 1 } else { hi = mid }
            }
            return nil
        }
        guard let found else { return nil }
        // Checked when the directory was indexed, so these decode.
        var r = ByteReader(directory, offset: Int(entries[found]))
        guard var reader = try? AttributeReader.readEntry(&r, data: data, docCount: docCount, pages: pages) else { return nil }
        let tallyAt = tallyOffsets()[Int(writtenOrder?[found] ?? Int32(found))]
        if let tallies, tallyAt >= 0 {
            var t = ByteReader(tallies, offset: Int(tallyAt))
            var name = ByteReader(tallies, offset: Int(tallyAt))
            // Decoded bounds-checked, kept only if the bytes it took are intact and name the key.
            if let tally = try? ForwardTally.decodeOne(&t, docCount: docCount), tally.counts.count == reader.valueCount + 1,
                pages?.check(tallies.baseAddress! + Int(tallyAt), count: t.offset - Int(tallyAt)) ?? true,
                let named = try? name.blob(), named.elementsEqual(key.utf8)
            {
                reader.wholeSegmentTally = tally
            }
        }
        recent.withLock { recent in
            if recent.count >= AttributeDirectory.cachedReaders { recent.removeAll(keepingCapacity: true) }
            recent[key] = reader
        }
        return reader
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
