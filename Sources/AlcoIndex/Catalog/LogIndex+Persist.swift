import Foundation

/// Persisting: in-memory segments and tombstones written to disk, the manifest that names the
/// live segments (and the WAL checkpoint it allows), and retention, which drops whole days.
extension LogIndex {
    /// Writes every in-memory segment and pending tombstone to disk, then a manifest whose
    /// checkpoint lets the WAL files before it be deleted (FLUSH RTINDEX).
    public func flush() throws {
        maintenanceLock.lock()
        defer { maintenanceLock.unlock() }
        try seal()
        try persistLocked()
    }

    /// Caller holds maintenanceLock. Writes nothing once the index is closed (dropped): its
    /// directory may already belong to a new index of the same name.
    func persistLocked() throws {
        if stateLock.withLock({ isClosed }) { return }
        struct Pending {
            var day: Int
            var segment: LiveSegment
        }
        var toWrite: [Pending] = []
        var tombstones: [(name: String, set: DeletionSet)] = []
        let checkpoint: UInt64 = stateLock.withLock {
            // Everything below the oldest record still buffered (or being sealed) is in the
            // segments written here; records from it on stay in the WAL.
            var oldestUnsealed = sealingMinLSN
            for p in partitions.values {
                if let m = p.bufferMinLSN { oldestUnsealed = min(oldestUnsealed ?? m, m) }
            }
            for p in partitions.values {
                for s in p.segments {
                    if !s.isPersisted {
                        toWrite.append(Pending(day: p.day, segment: s))
                    } else if s.deleted.count != s.persistedDeletions {
                        tombstones.append((s.name, s.deleted))
                    }
                }
            }
            return oldestUnsealed.map { $0 - 1 } ?? appliedLSN
        }
        var written: [String: SegmentReader] = [:]
        var writtenTombstones: [String: Int] = [:]
        for w in toWrite where w.segment.deleted.count < w.segment.reader.docCount {
            let path = segmentsDirectory + "/" + w.segment.name + ".seg"
            try FileSystem.writeDurably(path, w.segment.reader.storage.bytes)
            if !w.segment.deleted.isEmpty {
                try DeletionFile.write(segmentsDirectory + "/" + w.segment.name + ".del", w.segment.deleted)
                writtenTombstones[w.segment.name] = w.segment.deleted.count
            }
            written[w.segment.name] = try SegmentReader(name: w.segment.name, storage: SegmentStorage(mapped: MappedFile(path: path)))
        }
        for t in tombstones {
            try DeletionFile.write(segmentsDirectory + "/" + t.name + ".del", t.set)
            writtenTombstones[t.name] = t.set.count
        }
        if !toWrite.isEmpty { try FileSystem.syncDirectory(segmentsDirectory) }
        let droppedEmpty = Set(toWrite.filter { $0.segment.deleted.count >= $0.segment.reader.docCount }.map(\.segment.name))
        stateLock.withLock {
            for p in partitions.values {
                p.segments.removeAll { droppedEmpty.contains($0.name) }
                for k in p.segments.indices {
                    let n = p.segments[k].name
                    if let reader = written[n] {
                        p.segments[k] = LiveSegment(
                            name: n, reader: reader, deleted: p.segments[k].deleted,
                            isPersisted: true, persistedDeletions: writtenTombstones[n] ?? 0)
                    } else if let c = writtenTombstones[n] {
                        p.segments[k].persistedDeletions = c
                    }
                }
            }
            checkpointLSN = max(checkpointLSN, checkpoint)
            lastPersistAt = DispatchTimeLike.now()
        }
        try writeManifest()
        try columns.save()
        wal.removeFiles(coveredBy: checkpoint)
    }

    /// Writes the manifest of persisted segments and deletes files it no longer names.
    /// Caller holds maintenanceLock.
    func writeManifest() throws {
        if stateLock.withLock({ isClosed }) { return }
        var dead: [String] = []
        let manifest: Manifest = stateLock.withLock {
            dead = retired
            retired = []
            var m = Manifest()
            m.checkpointLSN = checkpointLSN
            m.nextSegment = nextSegment
            for p in partitions.values.sorted(by: { $0.day < $1.day }) {
                for s in p.segments where s.isPersisted {
                    m.segments.append(
                        Manifest.Entry(
                            name: s.name, day: p.day, docs: s.reader.docCount,
                            minID: s.reader.minID, maxID: s.reader.maxID,
                            deletions: s.persistedDeletions))
                }
            }
            return m
        }
        do {
            try manifest.write(manifestPath)
        } catch {
            stateLock.withLock { retired += dead }
            throw error
        }
        for name in dead {
            FileSystem.remove(segmentsDirectory + "/" + name + ".seg")
            FileSystem.remove(segmentsDirectory + "/" + name + ".del")
        }
        for entry in manifest.segments where entry.deletions == 0 {
            let del = segmentsDirectory + "/" + entry.name + ".del"
            if FileSystem.exists(del) { FileSystem.remove(del) }
        }
    }

    /// Drops whole days older than the retention period.
    @discardableResult
    public func applyRetention(nowMicroseconds: Int64 = Int64(Date().timeIntervalSince1970 * 1e6)) throws -> [Int] {
        maintenanceLock.lock()
        defer { maintenanceLock.unlock() }
        let dropped: [Int] = stateLock.withLock {
            let today = calendar.day(ofMicroseconds: nowMicroseconds)
            guard let cutoff = calendar.day(offsetDays: -(settingsValue.retentionDays - 1), from: today) else { return [] }
            let old = partitions.keys.filter { $0 < cutoff }
            for d in old {
                if let p = partitions.removeValue(forKey: d) {
                    retired += p.segments.filter(\.isPersisted).map(\.name)
                    bufferedDocs -= p.buffer.count
                }
            }
            return old.sorted()
        }
        if !dropped.isEmpty { try writeManifest() }
        return dropped
    }
}
