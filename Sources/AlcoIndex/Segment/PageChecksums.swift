import Synchronization

/// Per-page checksums of a segment file (format 4 on): opening a segment reads its table of
/// contents and this table's header, not the file, and each page a query reads is checked
/// against its checksum the first time any query reads it.
///
/// Layout of the `pageChecksums` section, which covers every byte of the file before it:
/// `[u32 page size][u32 pages per group][u64 covered bytes][u32 page count][u32 header crc]`,
/// one `u32` checksum per group of page checksums, then one `u32` per page. The header
/// checksum covers the first 20 bytes and the group checksums, so opening checks a few dozen
/// bytes; a group's page checksums are checked against it when a page of the group is first
/// used (4 KiB of table per 4 MiB of file).
enum PageChecksums {
    static let pageSize = 4096
    static let pagesPerGroup = 1024
    static let headerSize = 24

    static func pageCount(covering bytes: Int) -> Int { (bytes + pageSize - 1) / pageSize }
    static func groupCount(pages: Int) -> Int { (pages + pagesPerGroup - 1) / pagesPerGroup }

    static func sectionSize(covering bytes: Int) -> Int {
        let pages = pageCount(covering: bytes)
        return headerSize + 4 * groupCount(pages: pages) + 4 * pages
    }

    /// Writes the section for the first `covered` bytes of `image` into `out` (exactly
    /// `sectionSize(covering:)` bytes).
    static func write(covering image: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
        let pages = pageCount(covering: image.count)
        let groups = groupCount(pages: pages)
        precondition(out.count == sectionSize(covering: image.count))
        func put32(_ v: UInt32, _ at: Int) { out.storeBytes(of: v.littleEndian, toByteOffset: at, as: UInt32.self) }
        let pagesAt = headerSize + 4 * groups
        for p in 0..<pages {
            let lo = p * pageSize
            let hi = min(image.count, lo + pageSize)
            put32(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: image[lo..<hi])), pagesAt + 4 * p)
        }
        for g in 0..<groups {
            let lo = pagesAt + 4 * g * pagesPerGroup
            let hi = pagesAt + 4 * min(pages, (g + 1) * pagesPerGroup)
            put32(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: out[lo..<hi])), headerSize + 4 * g)
        }
        put32(UInt32(pageSize), 0)
        put32(UInt32(pagesPerGroup), 4)
        out.storeBytes(of: UInt64(image.count).littleEndian, toByteOffset: 8, as: UInt64.self)
        put32(UInt32(pages), 16)
        var head = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: out[0..<20]))
        head = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: out[headerSize..<pagesAt]), seed: head)
        put32(head, 20)
    }
}

/// Checks a mapped segment's pages on first use and remembers each verdict (one bit per page,
/// set once a page matched). A page that does not match is never marked: every read of it
/// fails again, and the first failure is kept so the query that met it reports it by the
/// segment's name (`throwIfDamaged`), whichever path read it.
final class PageVerifier: @unchecked Sendable {
    let segmentName: String
    private let file: UnsafeRawBufferPointer
    private let covered: Int
    private let pageCount: Int
    private let groupCRCs: UnsafeRawPointer
    private let pageCRCs: UnsafeRawPointer
    private let pageBits: UnsafeMutablePointer<Atomic<UInt64>>
    private let groupBits: UnsafeMutablePointer<Atomic<UInt64>>
    private let pageWords: Int
    private let groupWords: Int
    private let damage = Mutex<String?>(nil)
    /// Set with `damage`: what the per-document check in merges reads without locking.
    private let damaged = Atomic<Bool>(false)
    private let verified = Atomic<Int>(0)
    /// Bytes checked by every segment of the process: what a query's `Deadline` watches to
    /// stop a first try on an event loop that started reading from disk.
    static let totalVerified = Atomic<Int>(0)
    /// Set by the first failed check of any segment in the process: until then no segment can
    /// be damaged, and a search need not ask each of its few hundred (`Searcher.search`).
    static let damageSeen = Atomic<Bool>(false)

    /// Reads and checks the section's header and group checksums (nothing else is read).
    /// With `readsAhead`, a check of several pages not yet read asks the kernel for all of
    /// them at once (the file is mapped for random access).
    private let readsAhead: Bool

    init(section: UnsafeRawBufferPointer, file: UnsafeRawBufferPointer, segmentName: String, readsAhead: Bool = false) throws {
        guard section.count >= PageChecksums.headerSize else { throw DecodeError("page checksums truncated") }
        var r = ByteReader(section)
        let pageSize = Int(try r.u32())
        let perGroup = Int(try r.u32())
        guard pageSize == PageChecksums.pageSize, perGroup == PageChecksums.pagesPerGroup else {
            throw DecodeError("page checksums of \(pageSize)-byte pages in groups of \(perGroup)")
        }
        guard let covered = Int(exactly: try r.u64()), covered <= file.count else {
            throw DecodeError("page checksums cover more than the file")
        }
        let pages = Int(try r.u32())
        let headCRC = try r.u32()
        guard pages == PageChecksums.pageCount(covering: covered), section.count == PageChecksums.sectionSize(covering: covered) else {
            throw DecodeError("page checksums do not fit the file")
        }
        let groups = PageChecksums.groupCount(pages: pages)
        let pagesAt = PageChecksums.headerSize + 4 * groups
        var head = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: section[0..<20]))
        head = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: section[PageChecksums.headerSize..<pagesAt]), seed: head)
        guard head == headCRC else { throw DecodeError("page checksum header checksum mismatch") }
        self.segmentName = segmentName
        self.readsAhead = readsAhead
        self.file = file
        self.covered = covered
        self.pageCount = pages
        groupCRCs = section.baseAddress! + PageChecksums.headerSize
        pageCRCs = section.baseAddress! + pagesAt
        pageWords = (pages + 63) / 64
        groupWords = (groups + 63) / 64
        pageBits = .allocate(capacity: max(1, pageWords))
        for i in 0..<max(1, pageWords) { (pageBits + i).initialize(to: Atomic(0)) }
        groupBits = .allocate(capacity: max(1, groupWords))
        for i in 0..<max(1, groupWords) { (groupBits + i).initialize(to: Atomic(0)) }
    }

    /// Which pages were verified, as plain values (see `Marks`).
    var marks: Marks { Marks(base: file.baseAddress!, covered: covered, bits: pageBits) }

    /// The verified-page bits without the verifier object: a snapshot carries them so a filter
    /// probe over a few hundred segments reads no object of each (a cache miss or two apiece)
    /// when the page was verified before, which is every probe but a segment's first few.
    /// Valid while the verifier lives (its segment's reader holds it).
    struct Marks {
        let base: UnsafeRawPointer
        let covered: Int
        let bits: UnsafeMutablePointer<Atomic<UInt64>>

        /// True when every page under the bytes was verified (or is past what the checksums
        /// cover); false means the verifier must check them.
        @inline(__always)
        func areVerified(_ start: UnsafeRawPointer, count: Int) -> Bool {
            let lo = start - base
            guard count > 0, lo >= 0, lo < covered else { return true }
            var page = lo >> 12
            let last = (min(covered, lo + count) - 1) >> 12
            while page <= last {
                if !Marks.isSet(bits, page) { return false }
                page += 1
            }
            return true
        }

        /// Whether page `page` was verified: its bit in `bits` (`check` reads them the same way).
        @inline(__always)
        static func isSet(_ bits: UnsafeMutablePointer<Atomic<UInt64>>, _ page: Int) -> Bool {
            bits[page >> 6].load(ordering: .acquiring) & (1 << UInt64(page & 63)) != 0
        }
    }

    deinit {
        pageBits.deinitialize(count: max(1, pageWords))
        pageBits.deallocate()
        groupBits.deinitialize(count: max(1, groupWords))
        groupBits.deallocate()
    }

    /// Bytes checked so far (each page once), for tests and `alco index stats`.
    var bytesVerified: Int { verified.load(ordering: .relaxed) }

    /// Whether `count` bytes at `start` (inside the file) are intact, checking the pages not
    /// checked before. False records the damage (see `throwIfDamaged`); the caller must then
    /// not interpret those bytes.
    @inline(__always)
    func check(_ start: UnsafeRawPointer, count: Int) -> Bool {
        let lo = start - file.baseAddress!
        guard count > 0, lo >= 0, lo < covered else { return true }
        let hi = min(covered, lo + count)
        var page = lo >> 12
        let last = (hi - 1) >> 12
        var askedAhead = !readsAhead || page == last
        while page <= last {
            if !Marks.isSet(pageBits, page) {
                if !askedAhead {
                    MappedFile.willNeed(file, (page << 12)..<hi)
                    askedAhead = true
                }
                guard verify(page: page) else { return false }
            }
            page += 1
        }
        return true
    }

    /// Asks for `count` bytes at `start` at once when the first of their pages was never
    /// checked (so not read): a scan about to read them page by page waits once, not per page.
    func prefetch(_ start: UnsafeRawPointer, count: Int) {
        let lo = start - file.baseAddress!
        guard readsAhead, count > PageChecksums.pageSize, lo >= 0, lo < covered else { return }
        let page = lo >> 12
        guard pageBits[page >> 6].load(ordering: .relaxed) & (1 << UInt64(page & 63)) == 0 else { return }
        MappedFile.willNeed(file, lo..<min(covered, lo + count))
    }

    @inline(__always)
    func check(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        return check(base, count: bytes.count)
    }

    /// `check`, throwing the segment's damage.
    func require(_ bytes: UnsafeRawBufferPointer) throws {
        if !check(bytes) { try throwIfDamaged() }
    }

    /// Throws the first damage any read of this segment met.
    @inline(__always)
    func throwIfDamaged() throws {
        guard damaged.load(ordering: .acquiring) else { return }
        if let why = damage.withLock({ $0 }) { throw AlcoError.corruptSegment(name: segmentName, reason: why) }
    }

    private func verify(page: Int) -> Bool {
        let group = page / PageChecksums.pagesPerGroup
        if groupBits[group >> 6].load(ordering: .acquiring) & (1 << UInt64(group & 63)) == 0 {
            let first = group * PageChecksums.pagesPerGroup
            let n = min(pageCount, first + PageChecksums.pagesPerGroup) - first
            let table = UnsafeRawBufferPointer(start: pageCRCs + 4 * first, count: 4 * n)
            guard CRC32C.checksum(table) == load32(groupCRCs, group) else {
                return fail("page checksums of group \(group) checksum mismatch")
            }
            groupBits[group >> 6].bitwiseOr(1 << UInt64(group & 63), ordering: .releasing)
        }
        let lo = page * PageChecksums.pageSize
        let hi = min(covered, lo + PageChecksums.pageSize)
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: file[lo..<hi])) == load32(pageCRCs, page) else {
            return fail("checksum mismatch in bytes \(lo)..<\(hi)")
        }
        pageBits[page >> 6].bitwiseOr(1 << UInt64(page & 63), ordering: .releasing)
        verified.add(hi - lo, ordering: .relaxed)
        PageVerifier.totalVerified.add(hi - lo, ordering: .relaxed)
        return true
    }

    private func load32(_ base: UnsafeRawPointer, _ k: Int) -> UInt32 {
        UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self))
    }

    private func fail(_ why: String) -> Bool {
        damage.withLock { if $0 == nil { $0 = why } }
        damaged.store(true, ordering: .releasing)
        PageVerifier.damageSeen.store(true, ordering: .releasing)
        return false
    }
}
