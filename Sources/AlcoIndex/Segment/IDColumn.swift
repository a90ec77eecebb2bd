/// A segment's ids in ordinal order (ascending). Ids are µs × 1000, so neighbours differ in
/// their low ~35 bits only: blocks of 128 store their first id and each id's distance from it
/// bit-packed at the block's width (~4.4 bytes an id instead of 8), still read in O(1).
/// From format 6, a block may split its ids at the thousand instead: each id's µs after the
/// first id's, shifted above its sequence number (id % 1000, 0 unless lines share a µs), in
/// one packed value (~3 bytes an id: 10 bits fewer when no two lines share a µs).
///
/// Section `packedIDs`: u32 doc count, u32 block count, per block 16 bytes (first id u64,
/// offset of its run u32, width u8, split u8 (0: distances from the first id; else the
/// sequence numbers' width + 1), 2 zero bytes), then the runs and 8 bytes of slack.
/// Segments whose blocks would need more than 56 bits, and format 1, have the plain `ids`
/// section of u64s instead.
enum IDColumn {
    static let blockSize = 128
    static let headerBytes = 16

    /// The section that holds `ids`: packed, or plain when a block spans too far to pack.
    static func section(for ids: [UInt64]) -> (SegmentFormat.Section, [UInt8]) {
        if let packed = pack(ids) { return (.packedIDs, packed) }
        var plain = ByteWriter(capacity: ids.count * 8)
        for id in ids { plain.u64(id) }
        return (.ids, plain.take())
    }

    /// The packed section for `ids`, or nil when a block spans too far to pack.
    static func pack(_ ids: [UInt64]) -> [UInt8]? {
        let blocks = (ids.count + blockSize - 1) / blockSize
        var headers = ByteWriter(capacity: 8 + blocks * headerBytes)
        headers.u32(UInt32(ids.count))
        headers.u32(UInt32(blocks))
        var runs = ByteWriter(capacity: ids.count * 5 + 8)
        for b in 0..<blocks {
            let lo = b * blockSize
            let hi = min(ids.count, lo + blockSize)
            let first = ids[lo]
            let span = ids[hi - 1] &- first
            let plainWidth = 64 - span.leadingZeroBitCount
            // Split at the thousand when that packs narrower (ids from timestamps).
            var maxSequence: UInt64 = 0
            for i in lo..<hi { maxSequence |= ids[i] % 1000 }
            let sequenceWidth = 64 - maxSequence.leadingZeroBitCount
            let splitWidth = 64 - (ids[hi - 1] / 1000 &- first / 1000).leadingZeroBitCount + sequenceWidth
            let split = splitWidth < plainWidth
            let width = split ? splitWidth : plainWidth
            guard width <= 56 else { return nil }
            headers.u64(first)
            headers.u32(UInt32(runs.count))
            headers.u8(UInt8(width))
            headers.u8(split ? UInt8(sequenceWidth + 1) : 0)
            headers.u16(0)
            var packer = BitPacker(width: width)
            for i in lo..<hi {
                let value = split ? (ids[i] / 1000 &- first / 1000) << UInt64(sequenceWidth) | ids[i] % 1000 : ids[i] &- first
                packer.add(value, to: &runs)
            }
            packer.finish(to: &runs)
        }
        for _ in 0..<8 { runs.u8(0) }
        headers.append(contentsOf: runs.bytes)
        return headers.take()
    }

    /// Reads either form.
    struct Reader {
        private let raw: UnsafeBufferPointer<UInt64>?
        private let packed: UnsafeRawBufferPointer?
        private let runs: UnsafeRawPointer?
        /// Checks the pages of the runs as they are read (the headers are checked on opening).
        private let pages: PageVerifier?

        /// The unpacked column of old segments (opened only with every section checked).
        init(raw: UnsafeRawBufferPointer, docCount: Int) throws {
            guard raw.count == docCount * 8 else { throw DecodeError("id column has the wrong size") }
            self.raw = raw.bindMemory(to: UInt64.self)
            packed = nil
            runs = nil
            pages = nil
        }

        init(packed section: UnsafeRawBufferPointer, docCount: Int, pages: PageVerifier?) throws {
            try pages?.require(UnsafeRawBufferPointer(rebasing: section.prefix(8)))
            var r = ByteReader(section)
            let n = Int(try r.u32())
            let blocks = Int(try r.u32())
            guard n == docCount, blocks == (n + blockSize - 1) / blockSize else {
                throw DecodeError("packed id column disagrees with the segment's document count")
            }
            let runsAt = 8 + blocks * headerBytes
            guard runsAt + 8 <= section.count else { throw DecodeError("packed id column is truncated") }
            try pages?.require(UnsafeRawBufferPointer(rebasing: section.prefix(runsAt)))
            // Every run must lie inside the section (its slack included) with a width that packs.
            for b in 0..<blocks {
                let h = 8 + b * headerBytes
                let offset = Int(section.loadUnaligned(fromByteOffset: h + 8, as: UInt32.self).littleEndian)
                let width = Int(section[h + 12])
                let split = Int(section[h + 13])
                let count = min(blockSize, n - b * blockSize)
                guard width <= 56, split <= width + 1, runsAt + offset + (count * width + 7) / 8 + 8 <= section.count else {
                    throw DecodeError("packed id column block \(b) is out of range")
                }
            }
            raw = nil
            packed = section
            runs = section.baseAddress! + runsAt
            self.pages = pages
        }

        @inline(__always)
        func id(_ ord: Int) -> UInt64 {
            if let raw { return raw[ord] }
            let section = packed!
            let h = 8 + (ord >> 7) * IDColumn.headerBytes
            let first = UInt64(littleEndian: section.loadUnaligned(fromByteOffset: h, as: UInt64.self))
            let offset = Int(UInt32(littleEndian: section.loadUnaligned(fromByteOffset: h + 8, as: UInt32.self)))
            let width = Int(section[h + 12])
            guard width > 0 else { return first }
            let index = ord & (IDColumn.blockSize - 1)
            // The 8 bytes from the value's first: what `read64` loads.
            if let pages, !pages.check(runs! + offset + (index * width) >> 3, count: 8) { return first }
            let value = BitPacking.read64(runs! + offset, index: index, width: width)
            let split = UInt64(section[h + 13])
            guard split > 0 else { return first &+ value }
            let sequenceWidth = split - 1
            return (first / 1000 &+ value >> sequenceWidth) &* 1000 &+ (value & ((1 << sequenceWidth) &- 1))
        }
    }
}
