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
        try metrics.flush.time { try persistLocked() }
    }

    /// Caller holds maintenanceLock. Writes nothing once the index is closed (dropped): its
    /// directory may already belong to a new index of the same name.
    func persistLocked() throws {
        let (isClosed, segments, checkpoint) = state.withLock { s in
            // Everything below the oldest record still buffered (or being sealed) is in the
            // segments written here; records from it on stay in the WAL.
            (s.isClosed, s.segments, s.buffer.oldestUnsealedLSN.map { $0 - 1 } ?? s.appliedLSN)
        }
        if isClosed { return }
        let all = segments.all
        let toWrite = all.filter { !$0.isPersisted }
        let tombstones = all.filter(\.hasUnpersistedDeletions)
        var written: [String: SegmentReader] = [:]
        var writtenTombstones: [String: Int] = [:]
        for segment in toWrite where segment.deleted.count < segment.reader.docCount {
            let path = segmentsDirectory + "/" + segment.name + ".seg"
            try FileSystem.writeDurably(path, segment.reader.storage.bytes)
            if !segment.deleted.isEmpty {
                try DeletionFile.write(segmentsDirectory + "/" + segment.name + ".del", segment.deleted)
                writtenTombstones[segment.name] = segment.deleted.count
            }
            written[segment.name] = try SegmentReader(name: segment.name, storage: SegmentStorage(mapped: MappedFile(path: path)))
        }
        for t in tombstones {
            try DeletionFile.write(segmentsDirectory + "/" + t.name + ".del", t.deleted)
            writtenTombstones[t.name] = t.deleted.count
        }
        if !toWrite.isEmpty { try FileSystem.syncDirectory(segmentsDirectory) }
        let droppedEmpty = Set(toWrite.filter { $0.deleted.count >= $0.reader.docCount }.map(\.name))
        state.withLock { s in
            s.segments.remove(droppedEmpty)
            // Deletions made meanwhile stay (the segment keeps its current tombstones); the
            // count on disk is what was written.
            for segment in toWrite + tombstones {
                s.segments.update(segment.name, inDay: segment.day) { live in
                    if let reader = written[segment.name] {
                        live = LiveSegment(
                            name: live.name, day: live.day, reader: reader, deleted: live.deleted,
                            isPersisted: true, persistedDeletions: writtenTombstones[live.name] ?? 0)
                    } else if let c = writtenTombstones[live.name] {
                        live.persistedDeletions = c
                    }
                }
            }
            s.checkpointLSN = max(s.checkpointLSN, checkpoint)
            s.lastPersistAt = DispatchTimeLike.now()
        }
        try writeManifest()
        try columns.save()
        try writePatterns()
        wal.removeFiles(coveredBy: checkpoint)
    }

    /// Saves the patterns when they changed: before the WAL records that created them can go.
    func writePatterns() throws {
        let file: PatternFile? = state.withLock { s in
            guard s.patternsDirty, !s.isClosed else { return nil }
            s.patternsDirty = false
            return PatternFile(lsn: s.appliedLSN, miner: s.patterns)
        }
        guard let file else { return }
        do {
            try file.write(patternsPath)
        } catch {
            state.withLock { $0.patternsDirty = true }
            throw error
        }
    }

    /// Writes the manifest of persisted segments and deletes files it no longer names.
    /// Caller holds maintenanceLock.
    func writeManifest() throws {
        let taken: (dead: [String], manifest: Manifest)? = state.withLock { s in
            if s.isClosed { return nil }
            defer { s.retired = [] }
            let marks = s.marks.asOf(s.checkpointLSN)
            s.marks.prune(upTo: s.checkpointLSN)
            let m = Manifest(
                checkpointLSN: s.checkpointLSN, nextSegment: s.nextSegment, segments: s.segments.manifestEntries,
                sourceMarks: marks.isEmpty ? nil : marks)
            return (s.retired, m)
        }
        guard let (dead, manifest) = taken else { return }
        do {
            try manifest.write(manifestPath)
        } catch {
            state.withLock { $0.retired += dead }
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

    /// The first µs the retention period keeps (lines before it go at the next maintenance
    /// pass), by the same day arithmetic as `applyRetention`.
    public func retentionStartMicroseconds(nowMicroseconds: Int64 = Int64(Date().timeIntervalSince1970 * 1e6)) -> Int64? {
        state.withLock { s in
            let today = s.calendar.day(ofMicroseconds: nowMicroseconds)
            return s.calendar.day(offsetDays: -(s.settings.retentionDays - 1), from: today).flatMap { s.calendar.startMicroseconds(ofDay: $0) }
        }
    }

    /// Drops whole days older than the retention period.
    @discardableResult
    public func applyRetention(nowMicroseconds: Int64 = Int64(Date().timeIntervalSince1970 * 1e6)) throws -> [Int] {
        maintenanceLock.lock()
        defer { maintenanceLock.unlock() }
        let started = DispatchTime.now().uptimeNanoseconds
        defer { metrics.retention.recordNanoseconds(since: started) }
        let dropped: [Int] = state.withLock { s in
            let today = s.calendar.day(ofMicroseconds: nowMicroseconds)
            guard let cutoff = s.calendar.day(offsetDays: -(s.settings.retentionDays - 1), from: today) else { return [] }
            let old = s.buffer.dayNumbers.union(s.segments.dayNumbers).filter { $0 < cutoff }.sorted()
            for day in old {
                s.retired += s.segments.removeDay(day).filter(\.isPersisted).map(\.name)
                s.buffer.removeDay(day)
            }
            return old
        }
        if !dropped.isEmpty { try writeManifest() }
        return dropped
    }
}
