import Foundation

/// Merging: `MergePolicy` picks the segments, a k-way merge rewrites them (without holding
/// the maintenance lock) and `install` swaps the result in; OPTIMIZE repeats it until the
/// policy has nothing left.
extension LogIndex {
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
            let writing =
                deferWhileWriting && lastAppendAt > 0
                && DispatchTimeLike.now() &- lastAppendAt < UInt64(options.mergeQuietMilliseconds) * 1_000_000
            return resolve(MergePolicy(options: options).background(mergeDays(), writing: writing))
        }
        guard let plan else { return false }
        return try install(merging: plan.sources, day: plan.day)
    }

    /// Each day's segments as the merge policy sees them. Caller holds stateLock.
    func mergeDays() -> [MergePolicy.Day] {
        partitions.values.map { p in
            MergePolicy.Day(
                day: p.day,
                persisted: p.segments.filter(\.isPersisted).map {
                    MergePolicy.Segment(name: $0.name, docCount: $0.reader.docCount, deleted: $0.deleted.count)
                },
                segmentCount: p.segments.count)
        }
    }

    /// A plan's segments as live ones. Caller holds stateLock.
    func resolve(_ plan: MergePolicy.Plan?) -> (day: Int, sources: [LiveSegment])? {
        guard let plan, let p = partitions[plan.day] else { return nil }
        let sources = plan.segments.compactMap { name in p.segments.first { $0.name == name } }
        return sources.count == plan.segments.count ? (plan.day, sources) : nil
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
                resolve(MergePolicy(options: options).optimize(mergeDays()))
            }
            guard let plan else { return }
            guard try install(merging: plan.sources, day: plan.day) else { return }
        }
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
}
