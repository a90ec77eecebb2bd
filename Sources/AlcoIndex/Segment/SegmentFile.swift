/// A segment file's container: 8-byte magic, sections (each 8-aligned and checksummed), from
/// format 4 the checksum of each 4 KiB page before them (`PageChecksums`), a table of contents
/// of `[u32 id][u32 crc32c][u64 offset][u64 length]` entries, and a trailer (`[u64 toc
/// offset][u32 toc length][u32 toc crc32c]` and the end magic). `SegmentFileWriter`
/// lays it out; `SegmentFileReader` finds and checks the sections. What is inside a section is
/// its part's business.

/// Assembles sections with alignment, checksums and the table of contents into one
/// allocation (the in-memory segment adopts it; no further copy).
struct SegmentFileWriter {
    private var sections: [(SegmentFormat.Section, [UInt8])] = []

    init() {}

    mutating func add(_ section: SegmentFormat.Section, _ bytes: [UInt8]) {
        sections.append((section, bytes))
    }

    static func aligned(_ n: Int) -> Int { (n + 7) & ~7 }

    /// The segment image; the caller owns (and must deallocate or adopt) the buffer. The
    /// page checksums come last, covering every byte before them.
    mutating func finish() -> UnsafeMutableRawBufferPointer {
        var layout: [(SegmentFormat.Section, UInt32, Int, Int)] = []
        var at = SegmentFormat.magic.count
        for (s, bytes) in sections {
            at = SegmentFileWriter.aligned(at)
            layout.append((s, CRC32C.checksum(bytes), at, bytes.count))
            at += bytes.count
        }
        let pagesAt = SegmentFileWriter.aligned(at)
        let pagesSize = PageChecksums.sectionSize(covering: pagesAt)
        let tocOffset = SegmentFileWriter.aligned(pagesAt + pagesSize)
        let tocSize = 8 + 24 * (layout.count + 1)
        let total = tocOffset + tocSize + SegmentFormat.trailerSize
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 16)
        buffer.copyBytes(from: SegmentFormat.magic)
        var written = SegmentFormat.magic.count
        for (k, (_, bytes)) in sections.enumerated() {
            let off = layout[k].2
            // Only the alignment padding needs zeroing; sections overwrite the rest.
            UnsafeMutableRawBufferPointer(rebasing: buffer[written..<off]).initializeMemory(as: UInt8.self, repeating: 0)
            written = off + bytes.count
            bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[off..<(off + bytes.count)]).copyMemory(from: $0) }
            sections[k].1 = []  // release each section as soon as it is copied
        }
        UnsafeMutableRawBufferPointer(rebasing: buffer[written..<pagesAt]).initializeMemory(as: UInt8.self, repeating: 0)
        let pageSection = UnsafeMutableRawBufferPointer(rebasing: buffer[pagesAt..<(pagesAt + pagesSize)])
        PageChecksums.write(covering: UnsafeRawBufferPointer(rebasing: buffer[0..<pagesAt]), into: pageSection)
        UnsafeMutableRawBufferPointer(rebasing: buffer[(pagesAt + pagesSize)..<tocOffset]).initializeMemory(as: UInt8.self, repeating: 0)
        layout.append((.pageChecksums, CRC32C.checksum(UnsafeRawBufferPointer(pageSection)), pagesAt, pagesSize))

        var t = ByteWriter()
        t.u32(UInt32(layout.count))
        t.u32(0)
        for (s, crc, off, len) in layout {
            t.u32(s.rawValue)
            t.u32(crc)
            t.u64(UInt64(off))
            t.u64(UInt64(len))
        }
        let tocBytes = t.take()
        t.append(contentsOf: tocBytes)
        t.u64(UInt64(tocOffset))
        t.u32(UInt32(tocBytes.count))
        t.u32(CRC32C.checksum(tocBytes))
        t.append(contentsOf: SegmentFormat.trailerMagic)
        precondition(tocOffset + t.count == total)
        t.bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[tocOffset...]).copyMemory(from: $0) }
        return buffer
    }
}

/// The sections of a segment file, each checked against its checksum. Every offset and length
/// read from the file is range-checked before use (a damaged file is an error, never a trap).
struct SegmentFileReader {
    let sections: [UInt32: UnsafeRawBufferPointer]
    /// Bytes per section kind, for `alco index stats` and the benchmark's disk report.
    let sizes: [String: Int]

    /// Finds the sections; with `checkingSections`, also reads each whole and compares its
    /// checksum (without, the caller checks pages as they are used: `PageVerifier`).
    init(_ b: UnsafeRawBufferPointer, checkingSections: Bool = true) throws {
        var sections: [UInt32: UnsafeRawBufferPointer] = [:]
        var sizes: [String: Int] = [:]
        for (id, crc, range) in try SegmentFileReader.tableOfContents(b) {
            let s = UnsafeRawBufferPointer(rebasing: b[range])
            guard !checkingSections || CRC32C.checksum(s) == crc else { throw DecodeError("section \(id) checksum mismatch") }
            sections[id] = s
            if let kind = SegmentFormat.Section(rawValue: id) { sizes["\(kind)", default: 0] += range.count }
        }
        self.sections = sections
        self.sizes = sizes
    }

    /// Checks every section against its checksum again, a chunk at a time, calling `pace` with
    /// each chunk's size (the background pass sleeps there to keep to its I/O rate). Throws
    /// what is damaged.
    static func verify(_ b: UnsafeRawBufferPointer, chunkBytes: Int = 1 << 20, pace: (Int) throws -> Void) throws {
        for (id, crc, range) in try tableOfContents(b) {
            var sum: UInt32 = 0
            var at = range.lowerBound
            while at < range.upperBound {
                let end = min(at + max(1, chunkBytes), range.upperBound)
                MappedFile.willNeed(b, at..<end)
                sum = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[at..<end]), seed: sum)
                try pace(end - at)
                at = end
            }
            guard sum == crc else { throw DecodeError("section \(id) checksum mismatch") }
        }
    }

    /// Each section's id, checksum and byte range, from a table of contents that is itself
    /// checksummed; every range checked to lie before it.
    static func tableOfContents(_ b: UnsafeRawBufferPointer) throws -> [(id: UInt32, crc: UInt32, range: Range<Int>)] {
        guard b.count >= SegmentFormat.magic.count + SegmentFormat.trailerSize,
            b.prefix(8).elementsEqual(SegmentFormat.magic)
        else { throw DecodeError("bad header") }
        guard b.suffix(8).elementsEqual(SegmentFormat.trailerMagic) else { throw DecodeError("bad trailer") }
        var t = ByteReader(b, offset: b.count - SegmentFormat.trailerSize)
        let tocEnd = b.count - SegmentFormat.trailerSize
        guard let tocOffset = Int(exactly: try t.u64()), tocOffset >= 8, tocOffset <= tocEnd else {
            throw DecodeError("table of contents out of range")
        }
        let tocLength = Int(try t.u32())
        let tocCRC = try t.u32()
        guard tocLength <= tocEnd - tocOffset else { throw DecodeError("table of contents out of range") }
        let tocBytes = UnsafeRawBufferPointer(rebasing: b[tocOffset..<(tocOffset + tocLength)])
        guard CRC32C.checksum(tocBytes) == tocCRC else { throw DecodeError("table of contents checksum mismatch") }
        var r = ByteReader(tocBytes)
        let n = Int(try r.u32())
        _ = try r.u32()
        var out: [(id: UInt32, crc: UInt32, range: Range<Int>)] = []
        for _ in 0..<n {
            let id = try r.u32()
            let crc = try r.u32()
            guard let off = Int(exactly: try r.u64()), let len = Int(exactly: try r.u64()),
                off <= tocOffset, len <= tocOffset - off
            else { throw DecodeError("section \(id) out of range") }
            out.append((id, crc, off..<(off + len)))
        }
        return out
    }
}
