import Foundation

/// Sealing, persisting, merging and retention: everything that turns the realtime buffer into
/// durable, compact segments and forgets old days.
extension LogIndex {
    /// Builds immutable in-memory segments from the buffered documents.
    public func seal() throws {
        sealLock.lock()
        defer { sealLock.unlock() }
        var work: [(day: Int, docs: [Document])] = []
        let extraFields = columns.indexedKeys
        stateLock.withLock {
            for p in partitions.values where !p.buffer.isEmpty {
                // Sorted here so the ids being sealed are one sorted array (binary-searched
                // by lookups meanwhile) rather than a dictionary entry per document.
                let docs = p.buffer.values.sorted { $0.id < $1.id }
                sealing.append((p.day, docs.map(\.id)))
                work.append((p.day, docs))
                if let m = p.bufferMinLSN { sealingMinLSN = min(sealingMinLSN ?? m, m) }
                bufferedDocs -= p.buffer.count
                p.buffer = [:]
                p.bufferBytes = 0
                p.bufferMinLSN = nil
            }
            oldestBufferedAt = nil
            truncatedWhileSealing = false
            deletedWhileSealing = []
        }
        if work.isEmpty { return }
        // Chunks of at most maxSegmentDocs, and of big seals one per core: each becomes a
        // segment, built in parallel.
        var chunks: [(day: Int, docs: ArraySlice<Document>)] = []
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        for (day, docs) in work {
            let pieces = docs.count >= options.parallelSealDocs ? cores : 1
            let size = min(options.maxSegmentDocs, (docs.count + pieces - 1) / pieces)
            var start = 0
            while start < docs.count {
                // At most `size` documents and `maxSegmentBytes` of text (at least one document).
                var end = start
                var bytes = 0
                while end < docs.count && end - start < size && (end == start || bytes + docs[end].bufferCost <= options.maxSegmentBytes) {
                    bytes += docs[end].bufferCost
                    end += 1
                }
                chunks.append((day, docs[start..<end]))
                start = end
            }
        }
        let results = SealResults(count: chunks.count)
        let registry = columns
        defer { results.release() }
        let jobs = chunks
        DispatchQueue.concurrentPerform(iterations: jobs.count) { i in
            let builder = SegmentBuilder(extraFields: extraFields)
            for d in jobs[i].docs { builder.add(d) }
            results.store(i, summaries: builder.columnSummaries(wanted: registry.wants), image: builder.finishImage())
        }
        let summaries = results.summaries
        let images = results.images
        var built: [(day: Int, reader: SegmentReader)] = []
        for (i, chunk) in chunks.enumerated() {
            columns.observe(summaries[i])
            let name = stateLock.withLock { () -> String in
                defer { nextSegment += 1 }
                return LogIndex.segmentName(day: chunk.day, number: nextSegment)
            }
            built.append((chunk.day, try SegmentReader(name: name, storage: SegmentStorage(adopting: images[i]!))))
        }
        stateLock.withLock {
            defer {
                sealing = []
                sealingMinLSN = nil
                deletedWhileSealing = []
                truncatedWhileSealing = false
            }
            if truncatedWhileSealing { return }
            for (day, reader) in built {
                var deleted = DeletionSet(docCount: reader.docCount)
                for id in deletedWhileSealing {
                    if let o = reader.ordinal(of: id) { deleted.insert(o) }
                }
                partition(day).segments.append(
                    LiveSegment(name: reader.name, reader: reader, deleted: deleted, isPersisted: false, persistedDeletions: 0))
            }
        }
    }

    static func segmentName(day: Int, number: Int) -> String {
        let n = String(number)
        return "\(day)-" + String(repeating: "0", count: max(0, 8 - n.count)) + n
    }

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
                        p.segments[k] = LiveSegment(name: n, reader: reader, deleted: p.segments[k].deleted,
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
                    m.segments.append(Manifest.Entry(name: s.name, day: p.day, docs: s.reader.docCount,
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

    /// Merges the smallest persisted segments of a day when it has too many, and rewrites
    /// segments that are mostly tombstones. Returns true when it merged something.
    @discardableResult
    /// - Parameter deferWhileWriting: leave the merge for later while documents keep arriving
    ///   and the day's segment count is under the deferral limit (background merges do).
    public func mergeOnce(deferWhileWriting: Bool = false) throws -> Bool {
        // One merge at a time; sealing and persisting go on while it builds.
        mergeLock.lock()
        defer { mergeLock.unlock() }
        let plan: (day: Int, sources: [LiveSegment])? = stateLock.withLock {
            let writing = deferWhileWriting && lastAppendAt > 0
                && DispatchTimeLike.now() &- lastAppendAt < UInt64(options.mergeQuietMilliseconds) * 1_000_000
            for p in partitions.values.sorted(by: { $0.day < $1.day }) {
                let persisted = p.segments.filter(\.isPersisted)
                if writing && p.segments.count < options.mergeFactor * options.deferredMergeLimit { continue }
                if let heavy = persisted.first(where: { $0.deleted.count * 3 > $0.reader.docCount }) {
                    return (p.day, [heavy])
                }
                guard persisted.count > options.mergeFactor else { continue }
                let bySize = persisted.sorted { ($0.reader.docCount - $0.deleted.count) < ($1.reader.docCount - $1.deleted.count) }
                var chosen: [LiveSegment] = []
                var total = 0
                for s in bySize {
                    let live = s.reader.docCount - s.deleted.count
                    if chosen.count >= 2 && total + live > options.maxSegmentDocs { break }
                    chosen.append(s)
                    total += live
                    if chosen.count >= options.mergeFactor { break }
                }
                if chosen.count >= 2 { return (p.day, chosen) }
            }
            return nil
        }
        guard let plan else { return false }
        return try install(merging: plan.sources, day: plan.day)
    }

    /// Merges `sources` into new segments (without holding the maintenance lock) and swaps
    /// them in under it.
    func install(merging sources: [LiveSegment], day: Int) throws -> Bool {
        let plan = (day: day, sources: sources)
        let merged = try mergeSegments(plan.sources, day: plan.day)
        maintenanceLock.lock()
        defer { maintenanceLock.unlock() }
        let sourceNames = Set(plan.sources.map(\.name))
        var carried: [(String, DeletionSet)] = []
        let installed: Bool = stateLock.withLock {
            guard let p = partitions[plan.day],
                sourceNames.allSatisfy({ n in p.segments.contains { $0.name == n } })
            else { return false }
            // Carry over deletions made while merging.
            var deleted = merged.map { DeletionSet(docCount: $0.docCount) }
            for src in plan.sources {
                guard let current = p.segments.first(where: { $0.name == src.name }) else { continue }
                for o in current.deleted.ordinals where !src.deleted.contains(o) {
                    let id = current.reader.id(o)
                    for (k, m) in merged.enumerated() {
                        if let no = m.ordinal(of: id) { deleted[k].insert(no) }
                    }
                }
            }
            p.segments.removeAll { sourceNames.contains($0.name) }
            retired += sourceNames
            for (k, m) in merged.enumerated() {
                p.segments.append(LiveSegment(name: m.name, reader: m, deleted: deleted[k], isPersisted: true, persistedDeletions: 0))
            }
            carried = zip(merged, deleted).filter { !$0.1.isEmpty }.map { ($0.0.name, $0.1) }
            return true
        }
        // Deletions made while merging may already be covered by a checkpoint (a flush ran
        // meanwhile): their tombstones must be on disk before the manifest names the segment.
        for (name, set) in carried {
            try DeletionFile.write(segmentsDirectory + "/" + name + ".del", set)
            stateLock.withLock {
                if let p = partitions[plan.day], let k = p.segments.firstIndex(where: { $0.name == name }) {
                    p.segments[k].persistedDeletions = set.count
                }
            }
        }
        if installed {
            try writeManifest()
        } else {
            for m in merged { FileSystem.remove(segmentsDirectory + "/" + m.name + ".seg") }
        }
        return installed
    }

    /// K-way merge of the sources' live documents (ascending ids) into new segments on disk.
    private func mergeSegments(_ sources: [LiveSegment], day: Int) throws -> [SegmentReader] {
        let extraFields = columns.indexedKeys
        // Per source: reader, tombstones, cache and the next ordinal, in parallel arrays (a
        // tuple of them copied per document cost a retain and release of each).
        let readers = sources.map(\.reader)
        let deleted = sources.map(\.deleted)
        let caches = sources.map { _ in DocStoreCache(capacity: 2, sharing: false) }
        var next = [UInt32](repeating: 0, count: sources.count)
        var out: [SegmentReader] = []
        var builder = SegmentBuilder(extraFields: extraFields, compression: .high)
        func finishBuilder() throws {
            guard builder.count > 0 else { return }
            let name = stateLock.withLock { () -> String in
                defer { nextSegment += 1 }
                return LogIndex.segmentName(day: day, number: nextSegment)
            }
            let path = segmentsDirectory + "/" + name + ".seg"
            let image = builder.finishImage()
            defer { image.deallocate() }
            try FileSystem.writeDurably(path, UnsafeRawBufferPointer(image))
            try FileSystem.syncDirectory(segmentsDirectory)
            out.append(try SegmentReader(name: name, storage: SegmentStorage(mapped: MappedFile(path: path))))
            builder = SegmentBuilder(extraFields: extraFields, compression: .high)
        }
        var builderBytes = 0
        while true {
            if stateLock.withLock({ isClosing }) { throw AlcoError.closed }
            var best: Int?
            var bestID: UInt64 = 0
            for k in readers.indices {
                var n = next[k]
                while Int(n) < readers[k].docCount && deleted[k].contains(n) { n += 1 }
                next[k] = n
                guard Int(n) < readers[k].docCount else { continue }
                let id = readers[k].id(n)
                if best == nil || id < bestID {
                    best = k
                    bestID = id
                }
            }
            guard let b = best else { break }
            let doc = try readers[b].document(next[b], cache: caches[b])
            next[b] += 1
            if let last = builder.lastID, last == doc.id { continue }
            builder.add(doc)
            builderBytes += doc.bufferCost
            if builder.count >= options.maxSegmentDocs || builderBytes >= options.maxSegmentBytes {
                try finishBuilder()
                builderBytes = 0
            }
        }
        try finishBuilder()
        return out
    }

    /// Flushes, then merges every day's segments down to as few as the size limit allows
    /// (OPTIMIZE INDEX).
    public func optimize() throws {
        try flush()
        mergeLock.lock()
        defer { mergeLock.unlock() }
        while true {
            let plan: (day: Int, sources: [LiveSegment])? = stateLock.withLock {
                for p in partitions.values.sorted(by: { $0.day < $1.day }) {
                    let persisted = p.segments.filter(\.isPersisted).sorted { $0.reader.docCount < $1.reader.docCount }
                    var chosen: [LiveSegment] = []
                    var total = 0
                    for s in persisted {
                        let live = s.reader.docCount - s.deleted.count
                        if total + live > options.maxSegmentDocs && chosen.count >= 1 { break }
                        chosen.append(s)
                        total += live
                    }
                    if chosen.count >= 2 || chosen.first.map({ $0.deleted.count > 0 }) == true { return (p.day, chosen) }
                }
                return nil
            }
            guard let plan else { return }
            guard try install(merging: plan.sources, day: plan.day) else { return }
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

    /// Background merging (its own queue, so it never delays sealing and persisting).
    func maintainMerges() {
        do {
            while try mergeOnce(deferWhileWriting: true) {}
        } catch {
            stateLock.withLock {
                let message = "merging index \(name) failed: \(error)"
                if problemsValue.last != message { problemsValue.append(message) }
            }
        }
    }

    /// One round of background work; errors are recorded as problems, never thrown.
    func maintain() {
        let (buffered, age, memBytes, memCount, sincePersist) = stateLock.withLock { () -> (Int, UInt64, Int, Int, UInt64) in
            let now = DispatchTimeLike.now()
            // Saturating: a writer may have stamped a time between our clock read and the lock.
            func since(_ t: UInt64) -> UInt64 { now > t ? now - t : 0 }
            var buffered = 0, memBytes = 0, memCount = 0
            for p in partitions.values {
                buffered += p.buffer.count
                for s in p.segments where !s.isPersisted {
                    memBytes += s.reader.storage.bytes.count
                    memCount += 1
                }
                memBytes += p.bufferBytes
            }
            return (buffered, oldestBufferedAt.map(since) ?? 0, memBytes, memCount, since(lastPersistAt))
        }
        do {
            let bufferedBytes = stateLock.withLock { partitions.values.reduce(0) { $0 + $1.bufferBytes } }
            if buffered >= options.sealThresholdDocs || bufferedBytes >= options.maxBufferedBytes / 2
                || (buffered > 0 && age >= UInt64(options.sealIntervalMilliseconds) * 1_000_000) {
                try seal()
            }
            let persistDue = memBytes >= options.persistThresholdBytes || memCount > 32
                || (memCount > 0 && Double(sincePersist) / 1e9 >= options.persistIntervalSeconds)
            if persistDue { try flush() }
        } catch {
            stateLock.withLock {
                let message = "maintenance of index \(name) failed: \(error)"
                if problemsValue.last != message { problemsValue.append(message) }
            }
        }
    }

    /// Flushes everything and stops accepting writes.
    func close() throws {
        stateLock.withLock { isClosing = true }
        try flush()
        stateLock.withLock { isClosed = true }
        wal.close()
    }
}

/// Slots the parallel builders of one seal write their results into, one slot each.
private final class SealResults: @unchecked Sendable {
    private let imageSlots: UnsafeMutableBufferPointer<UnsafeMutableRawBufferPointer?>
    private let summarySlots: UnsafeMutableBufferPointer<[ColumnSummary]>

    init(count: Int) {
        imageSlots = .allocate(capacity: count)
        imageSlots.initialize(repeating: nil)
        summarySlots = .allocate(capacity: count)
        summarySlots.initialize(repeating: [])
    }

    /// Each builder writes only its own slot, so no two threads touch the same memory.
    func store(_ i: Int, summaries: [ColumnSummary], image: UnsafeMutableRawBufferPointer) {
        summarySlots[i] = summaries
        imageSlots[i] = image
    }

    var images: [UnsafeMutableRawBufferPointer?] { Array(imageSlots) }
    var summaries: [[ColumnSummary]] { Array(summarySlots) }

    func release() {
        imageSlots.deallocate()
        summarySlots.deinitialize()
        summarySlots.deallocate()
    }
}
