import CoreMetrics

/// The write-ahead log of one index: every change is appended here and fsynced before the
/// caller is answered. Concurrent appenders share one fsync (group commit): the first waiter
/// writes and syncs everything queued so far, the others wait for it.
///
/// Files are `wal/<first LSN>.wal`; a record is `[u32 length][u32 crc32c][u64 lsn][payload]`.
/// Files wholly covered by a checkpoint (everything persisted in segments) are deleted.
public final class WriteAheadLog: @unchecked Sendable {
    public let directory: String
    let syncEnabled: Bool
    /// Each group commit's fsync, as `alco_wal_fsync_duration_seconds`.
    let syncTimer: CoreMetrics.Timer
    static let rotateBytes = 64 << 20
    static let headerSize = 16

    private let lock = ConditionLock()
    private var pending = ByteWriter(capacity: 1 << 16)
    /// The buffer of the last flush, written and kept for the next records: a batch's records
    /// take megabytes, and a new buffer grown to that size each time faults in twice as much.
    private var spare: [UInt8] = []
    /// A spare larger than this (after a burst of huge records) is dropped.
    static let maxSpareBytes = 64 << 20
    private var pendingLast: UInt64 = 0
    private var nextLSN: UInt64
    private var durableLSN: UInt64
    private var flushing = false
    private var failure: (upTo: UInt64, error: any Error)?
    private var file: WritableFile?
    private var fileBytes = 0
    /// First LSN of each file, ascending.
    private var files: [UInt64] = []

    /// Opens the log after replay: `lastLSN` is the last record that exists.
    init(directory: String, lastLSN: UInt64, syncEnabled: Bool, syncTimer: CoreMetrics.Timer) throws {
        self.directory = directory
        self.syncEnabled = syncEnabled
        self.syncTimer = syncTimer
        nextLSN = lastLSN + 1
        durableLSN = lastLSN
        try FileSystem.makeDirectory(directory)
        files = WriteAheadLog.fileLSNs(directory)
    }

    static func fileLSNs(_ directory: String) -> [UInt64] {
        FileSystem.list(directory).compactMap { name in
            name.hasSuffix(".wal") ? UInt64(name.dropLast(4)) : nil
        }.sorted()
    }

    static func fileName(_ lsn: UInt64) -> String {
        let s = String(lsn)
        return String(repeating: "0", count: max(0, 20 - s.count)) + s + ".wal"
    }

    /// Result of reading the log at open.
    public struct ReplayReport: Sendable {
        public var lastLSN: UInt64 = 0
        public var records = 0
        public var warnings: [String] = []
        /// Records were lost to damage inside a file (see `replay`).
        public var damaged = false
    }

    /// Reads every record with LSN > `checkpoint` in order.
    ///
    /// A torn or damaged tail (nothing valid after it: a write a crash cut short) is cut off
    /// and reported. Damage with valid records after it (a bad sector, a flipped bit) is not
    /// a tail: the file is copied into `quarantine` as it was, the records before and after
    /// the damage are replayed, the file is rewritten without the damaged bytes, and the
    /// report names the file, the bytes skipped and the LSNs lost, so acknowledged records are
    /// never dropped silently. `report.damaged` tells the index to persist at once.
    public static func replay(
        directory: String, after checkpoint: UInt64, quarantine: String? = nil,
        _ apply: (UInt64, WALRecord) throws -> Void
    ) throws -> ReplayReport {
        var report = ReplayReport()
        report.lastLSN = checkpoint
        let lsns = fileLSNs(directory)
        for (k, first) in lsns.enumerated() {
            let path = directory + "/" + fileName(first)
            let bytes = try FileSystem.readAll(path)
            var kept: [Range<Int>] = []  // byte ranges of whole valid records, in order
            var skipped: [(range: Range<Int>, why: String)] = []
            var tail: (offset: Int, why: String)?
            try bytes.withUnsafeBytes { buf in
                var offset = 0
                while offset < buf.count {
                    switch record(in: buf, at: offset) {
                    case .valid(let lsn, let length, let record):
                        if lsn > report.lastLSN {
                            try apply(lsn, record)
                            report.records += 1
                            report.lastLSN = lsn
                        }
                        kept.append(offset..<(offset + headerSize + length))
                        offset += headerSize + length
                    case .invalid(let why):
                        // Damage, or the end of what was written: the next valid record after
                        // it (its LSN must follow what was replayed) tells which.
                        guard let next = nextValidRecord(in: buf, after: offset, lastLSN: report.lastLSN) else {
                            tail = (offset, why)
                            offset = buf.count
                            break
                        }
                        skipped.append((offset..<next, why))
                        offset = next
                    }
                }
            }
            if let tail {
                // A cut-short tail loses nothing when what follows (the next file) starts right
                // after the last record read; in the newest file nothing follows.
                let continues = k == lsns.count - 1 || lsns[k + 1] == report.lastLSN + 1
                if skipped.isEmpty && continues {
                    let f = try WritableFile(path: path)
                    try f.truncate(to: tail.offset)
                    try f.sync()
                    f.close()
                    report.warnings.append("\(path): \(tail.why); cut the log there (\(bytes.count - tail.offset) bytes dropped, nothing acknowledged was after it)")
                    continue
                }
                skipped.append((tail.offset..<bytes.count, tail.why))
            }
            guard !skipped.isEmpty else { continue }
            // Damage inside the file: keep the original, rewrite the file from its valid records.
            var original: String?
            if let q = quarantine {
                let copy = q + "/" + fileName(first) + "." + String(DispatchTimeLike.now())
                do {
                    try FileSystem.makeDirectory(q)
                    try bytes.withUnsafeBytes { try FileSystem.writeDurably(copy, $0) }
                    original = copy
                } catch {
                    original = nil
                }
            }
            var clean: [UInt8] = []
            clean.reserveCapacity(bytes.count)
            for r in kept { clean.append(contentsOf: bytes[r]) }
            try FileSystem.writeAtomically(path, clean)
            let lost = skipped.map { "bytes \($0.range.lowerBound)..<\($0.range.upperBound) (\($0.why))" }.joined(separator: ", ")
            report.warnings.append(
                "\(path) was damaged inside: \(lost) could not be read and their records are lost; "
                    + "the records before and after were kept\(original.map { "; the file as it was is kept as \($0)" } ?? "")")
            report.damaged = true
        }
        return report
    }

    enum ParsedRecord {
        case valid(lsn: UInt64, length: Int, record: WALRecord)
        case invalid(String)
    }

    /// The record at `offset`, checked whole (header, length, checksum, payload).
    static func record(in buf: UnsafeRawBufferPointer, at offset: Int) -> ParsedRecord {
        guard offset + headerSize <= buf.count else { return .invalid("torn record header at byte \(offset)") }
        var h = ByteReader(buf, offset: offset)
        guard let length32 = try? h.u32(), let crc = try? h.u32(), let lsn = try? h.u64() else {
            return .invalid("torn record header at byte \(offset)")
        }
        let length = Int(length32)
        guard length > 0, length <= buf.count - offset - headerSize else { return .invalid("torn record at byte \(offset)") }
        let payload = UnsafeRawBufferPointer(rebasing: buf[(offset + headerSize)..<(offset + headerSize + length)])
        var lsnBytes = lsn.littleEndian
        let seed = withUnsafeBytes(of: &lsnBytes) { CRC32C.checksum($0) }
        guard CRC32C.checksum(payload, seed: seed) == crc else { return .invalid("checksum mismatch at byte \(offset)") }
        var r = ByteReader(payload)
        guard let record = try? WALRecord.decode(&r) else { return .invalid("undecodable record at byte \(offset)") }
        return .valid(lsn: lsn, length: length, record: record)
    }

    /// The offset of the first valid record after `offset` whose LSN could follow `lastLSN`
    /// (a checksum over the LSN and payload makes a false find vanishingly unlikely); nil
    /// when none: the damage is the end of the file.
    static func nextValidRecord(in buf: UnsafeRawBufferPointer, after offset: Int, lastLSN: UInt64) -> Int? {
        var at = offset + 1
        while at + headerSize <= buf.count {
            let lsn = buf.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self).littleEndian
            // Cheap filters first: an LSN just past what was replayed, a length that fits.
            if lsn > lastLSN && lsn - lastLSN <= 1 << 20 {
                if case .valid = record(in: buf, at: at) { return at }
            }
            at += 1
        }
        return nil
    }

    /// Queues a record and returns its LSN. Call under the index's state lock so LSN order is
    /// the order changes were applied in memory.
    func enqueue(_ record: WALRecord) -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        let lsn = nextLSN
        nextLSN += 1
        let start = pending.count
        pending.u32(0)
        pending.u32(0)
        pending.u64(lsn)
        record.encode(into: &pending)
        let length = pending.count - start - WriteAheadLog.headerSize
        var lsnBytes = lsn.littleEndian
        let seed = withUnsafeBytes(of: &lsnBytes) { CRC32C.checksum($0) }
        let crc = pending.bytes.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + WriteAheadLog.headerSize)...]), seed: seed)
        }
        pending.patchU32(UInt32(length), at: start)
        pending.patchU32(crc, at: start + 4)
        pendingLast = lsn
        return lsn
    }

    /// Blocks until `lsn` is on disk (written and fsynced), writing it if nobody else is.
    func waitDurable(_ lsn: UInt64) throws {
        lock.lock()
        defer { lock.unlock() }
        while durableLSN < lsn {
            if let f = failure, lsn <= f.upTo { throw f.error }
            if flushing {
                lock.wait()
                continue
            }
            flushing = true
            let batch = pending.take()
            if spare.capacity >= 1 << 16 {
                pending.reuse(&spare)  // `spare` is left with `take`'s empty array
            } else {
                pending = ByteWriter(capacity: 1 << 16)
            }
            let upTo = pendingLast
            lock.unlock()
            var error: (any Error)?
            do {
                try write(batch, firstLSN: firstLSN(of: batch))
            } catch let e {
                error = e
            }
            lock.lock()
            flushing = false
            if batch.capacity <= WriteAheadLog.maxSpareBytes { spare = batch }
            if let error {
                failure = (upTo, error)
            } else {
                durableLSN = max(durableLSN, upTo)
            }
            lock.broadcast()
        }
    }

    private func firstLSN(of batch: [UInt8]) -> UInt64 {
        guard batch.count >= WriteAheadLog.headerSize else { return 0 }
        return batch.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian }
    }

    /// Only the flushing thread calls this.
    private func write(_ batch: [UInt8], firstLSN: UInt64) throws {
        guard !batch.isEmpty else { return }
        if file == nil || fileBytes >= WriteAheadLog.rotateBytes {
            file?.close()
            let path = directory + "/" + WriteAheadLog.fileName(firstLSN)
            let isNew = !FileSystem.exists(path)
            file = try WritableFile(path: path, append: true)
            fileBytes = FileSystem.fileSize(path)
            if isNew {
                try FileSystem.syncDirectory(directory)
                lock.withLock { files.append(firstLSN) }
            }
        }
        do {
            try file!.write(batch)
            if syncEnabled { try syncTimer.time { try file!.sync() } }
            fileBytes += batch.count
        } catch {
            // A failed write (a full disk) may leave part of the batch: cut the file back to its
            // last whole record so later records follow it; if even that fails, start a fresh
            // file (replay cuts a torn tail in any file).
            if (try? file!.truncate(to: fileBytes)) == nil {
                file?.close()
                file = nil
                fileBytes = 0
            }
            throw error
        }
    }

    /// Deletes log files whose every record is at or below `checkpoint`. When the checkpoint
    /// covers everything written, every file goes; otherwise the current file is closed so the
    /// next write starts a new one and this one can go at the next checkpoint.
    func removeFiles(coveredBy checkpoint: UInt64) {
        lock.lock()
        if !flushing && pending.count == 0 && checkpoint >= nextLSN - 1 {
            file?.close()
            file = nil
            let all = files
            files = []
            lock.unlock()
            for first in all { FileSystem.remove(directory + "/" + WriteAheadLog.fileName(first)) }
            return
        }
        if !flushing {
            file?.close()
            file = nil
        }
        let current = files
        lock.unlock()
        var removed: [UInt64] = []
        for (k, first) in current.enumerated() where k + 1 < current.count && current[k + 1] <= checkpoint + 1 {
            FileSystem.remove(directory + "/" + WriteAheadLog.fileName(first))
            removed.append(first)
        }
        if !removed.isEmpty {
            lock.withLock { files.removeAll { removed.contains($0) } }
        }
    }

    func close() {
        lock.withLock {
            file?.close()
            file = nil
        }
    }
}
