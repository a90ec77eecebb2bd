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
    private let docCount: Int
    /// Each entry's offset in `directory`, ordered by key bytes.
    private let entries: [Int32]
    /// Each entry's tally offset in `tallies` (-1: none), in `entries` order.
    private let tallyOffsets: [Int32]
    /// The last readers made, by key.
    private let recent = Mutex<[String: AttributeReader]>([:])
    static let cachedReaders = 256

    var count: Int { entries.count }

    /// Walks the directory once to index it (and checks every entry decodes), and pairs each
    /// key with its tally.
    init(directory: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer, tallies: UnsafeRawBufferPointer?, docCount: Int) throws {
        self.directory = directory
        self.data = data
        self.tallies = tallies
        self.docCount = docCount
        var r = ByteReader(directory)
        let n = try r.varintInt()
        guard n <= directory.count else { throw DecodeError("\(n) attributes in \(directory.count) bytes") }
        var offsets: [Int32] = []
        offsets.reserveCapacity(n)
        var keysWithStrings: [(entry: Int, key: UnsafeRawBufferPointer)] = []
        for _ in 0..<n {
            let at = r.offset
            offsets.append(Int32(at))
            let reader = try AttributeReader.readEntry(&r, data: data, docCount: docCount, named: false)
            if reader.hasStrings {
                var k = ByteReader(directory, offset: at)
                keysWithStrings.append((offsets.count - 1, try k.blob()))
            }
        }
        // Tallies follow the directory's order for keys with strings (as the builder writes
        // them); each is checked to name its key.
        var tallyAt = [Int32](repeating: -1, count: n)
        if let tallies {
            var t = ByteReader(tallies)
            let m = try t.varintInt()
            guard m == keysWithStrings.count else { throw DecodeError("\(m) forward tallies for \(keysWithStrings.count) keys") }
            for (entry, key) in keysWithStrings {
                let at = t.offset
                guard try t.blob().elementsEqual(key) else { throw DecodeError("a forward tally out of key order") }
                let ranks = try t.varintInt()
                guard ranks <= tallies.count else { throw DecodeError("a tally of \(ranks) ranks in \(tallies.count) bytes") }
                for _ in 0..<(2 * ranks) { _ = try t.varint() }
                tallyAt[entry] = Int32(at)
            }
        }
        // Ordered by key bytes for binary search: as written since format 3; older builders
        // sorted by String, which differs for some non-ASCII keys.
        let sorted = offsets.indices.dropFirst().allSatisfy { k in
            AttributeDirectory.compare(
                AttributeDirectory.key(directory, Int(offsets[k - 1])),
                AttributeDirectory.key(directory, Int(offsets[k]))) < 0
        }
        if sorted {
            entries = offsets
            tallyOffsets = tallyAt
        } else {
            let order = offsets.indices.sorted { a, b in
                AttributeDirectory.compare(
                    AttributeDirectory.key(directory, Int(offsets[a])),
                    AttributeDirectory.key(directory, Int(offsets[b]))) < 0
            }
            entries = order.map { offsets[$0] }
            tallyOffsets = order.map { tallyAt[$0] }
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
        guard var reader = try? AttributeReader.readEntry(&r, data: data, docCount: docCount) else { return nil }
        if let tallies, tallyOffsets[found] >= 0 {
            var t = ByteReader(tallies, offset: Int(tallyOffsets[found]))
            if let tally = try? ForwardTally.decodeOne(&t, docCount: docCount), tally.counts.count == reader.valueCount + 1 {
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
