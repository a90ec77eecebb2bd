/// The write-ahead log of one index: every change is appended here and fsynced before the
/// caller is answered. Concurrent appenders share one fsync (group commit): the first waiter
/// writes and syncs everything queued so far, the others wait for it.
///
/// Files are `wal/<first LSN>.wal`; a record is `[u32 length][u32 crc32c][u64 lsn][payload]`.
/// Files wholly covered by a checkpoint (everything persisted in segments) are deleted.
public final class WriteAheadLog: @unchecked Sendable {
    public let directory: String
    let syncEnabled: Bool
    static let rotateBytes = 64 << 20
    static let headerSize = 16

    private let lock = ConditionLock()
    private var pending = ByteWriter(capacity: 1 << 16)
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
    init(directory: String, lastLSN: UInt64, syncEnabled: Bool) throws {
        self.directory = directory
        self.syncEnabled = syncEnabled
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
    }

    /// Reads every record with LSN > `checkpoint` in order. A torn or corrupt tail in the
    /// newest file, or a torn one in an older file, is cut off and reported; other corruption
    /// in an older file is an error.
    static func replay(directory: String, after checkpoint: UInt64, _ apply: (UInt64, WALRecord) throws -> Void) throws -> ReplayReport {
        var report = ReplayReport()
        report.lastLSN = checkpoint
        let lsns = fileLSNs(directory)
        for (k, first) in lsns.enumerated() {
            let path = directory + "/" + fileName(first)
            let bytes = try FileSystem.readAll(path)
            var offset = 0
            var problem: String?
            var torn = false
            try bytes.withUnsafeBytes { buf in
                while offset < buf.count {
                    guard offset + headerSize <= buf.count else {
                        problem = "torn record header at byte \(offset)"
                        torn = true
                        break
                    }
                    var h = ByteReader(buf, offset: offset)
                    let length = Int(try h.u32())
                    let crc = try h.u32()
                    let lsn = try h.u64()
                    guard length > 0, offset + headerSize + length <= buf.count else {
                        problem = "torn record at byte \(offset)"
                        torn = length > 0
                        break
                    }
                    let payload = UnsafeRawBufferPointer(rebasing: buf[(offset + headerSize)..<(offset + headerSize + length)])
                    var lsnBytes = lsn.littleEndian
                    let seed = withUnsafeBytes(of: &lsnBytes) { CRC32C.checksum($0) }
                    guard CRC32C.checksum(payload, seed: seed) == crc else {
                        problem = "checksum mismatch at byte \(offset)"
                        break
                    }
                    var r = ByteReader(payload)
                    let record: WALRecord
                    do {
                        record = try WALRecord.decode(&r)
                    } catch {
                        problem = "undecodable record at byte \(offset): \(error)"
                        break
                    }
                    if lsn > report.lastLSN {
                        try apply(lsn, record)
                        report.records += 1
                        report.lastLSN = lsn
                    }
                    offset += headerSize + length
                }
            }
            if let problem {
                // An incomplete last record is a write that never finished (a crash, or a
                // failed write in an older file); anything else in an older file is damage.
                if k == lsns.count - 1 || torn {
                    let f = try WritableFile(path: path)
                    try f.truncate(to: offset)
                    try f.sync()
                    f.close()
                    report.warnings.append("\(path): \(problem); cut the log there (\(bytes.count - offset) bytes dropped, nothing acknowledged was after it)")
                } else {
                    throw AlcoError.corruptWAL(path: path, reason: problem)
                }
            }
        }
        return report
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
            pending = ByteWriter(capacity: 1 << 16)
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
            if syncEnabled { try file!.sync() }
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
