import Foundation

/// Merging: `MergePolicy` picks the segments, a k-way merge rewrites them (without holding
/// the maintenance lock) and `install` swaps the result in; OPTIMIZE repeats it until the
/// policy has nothing left.
extension LogIndex {
    /// Merges the smallest persisted segments of a day when it has too many, and rewrites
    /// segments that are mostly tombstones. Returns true when it merged something.
    /// - Parameter deferWhileWriting: leave a day's merge for later while documents of that day
    ///   keep arriving and its segment count is under the deferral limit (background merges do).
    @discardableResult
    public func mergeOnce(deferWhileWriting: Bool = false) throws -> Bool {
        // One merge at a time; sealing and persisting go on while it builds.
        mergeLock.lock()
        defer { mergeLock.unlock() }
        let plan = state.withLock { s in
            let now = DispatchTimeLike.now()
            let quiet = UInt64(options.mergeQuietMilliseconds) * 1_000_000
            let writing = deferWhileWriting ? Set(s.lastAppendByDay.filter { now &- $0.value < quiet }.keys) : []
            let fullRate = deferWhileWriting && s.appendRate.perSecond(now: now) >= options.fullRateAppendsPerSecond
            let policy = MergePolicy(options: options)
            return s.segments.resolve(policy.background(s.segments.mergeDays, writing: writing, fullRate: fullRate))
        }
        guard let plan else { return false }
        return try metrics.merge.time { try install(merging: plan.sources, day: plan.day, compression: plan.compression) }
    }

    /// Merges `sources` into new segments (without holding the maintenance lock) and swaps
    /// them in under it.
    func install(merging sources: [LiveSegment], day: Int, compression: StoreCompression) throws -> Bool {
        let merged = try quarantiningDamage { try mergeSegments(sources, day: day, compression: compression) }
        maintenanceLock.lock()
        defer { maintenanceLock.unlock() }
        let sourceNames = Set(sources.map(\.name))
        let carried: [LiveSegment]? = state.withLock { s in
            // Carry over deletions made while merging.
            var deleted = merged.map { DeletionSet(docCount: $0.docCount) }
            let current = s.segments.segments(inDay: day)
            for src in sources {
                guard let now = current.first(where: { $0.name == src.name }) else { return nil }
                for o in now.deleted.ordinals where !src.deleted.contains(o) {
                    let id = now.reader.id(o)
                    for (k, m) in merged.enumerated() {
                        if let no = m.ordinal(of: id) { deleted[k].insert(no) }
                    }
                }
            }
            let segments = zip(merged, deleted).map {
                LiveSegment(name: $0.name, day: day, reader: $0, deleted: $1, isPersisted: true, persistedDeletions: 0)
            }
            guard s.segments.replace(sourceNames, inDay: day, with: segments) else { return nil }
            s.retired += sourceNames
            return segments.filter { !$0.deleted.isEmpty }
        }
        let installed = carried != nil
        // Deletions made while merging may already be covered by a checkpoint (a flush ran
        // meanwhile): their tombstones must be on disk before the manifest names the segment.
        for segment in carried ?? [] {
            try DeletionFile.write(segmentsDirectory + "/" + segment.name + ".del", segment.deleted)
            state.withLock { s in
                s.segments.update(segment.name, inDay: day) { $0.persistedDeletions = segment.deleted.count }
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
    /// Their words are merged from the sources' postings (`PostingsMerge`) when the sources
    /// allow it, else read again from the documents.
    private func mergeSegments(_ sources: [LiveSegment], day: Int, compression: StoreCompression) throws -> [SegmentReader] {
        let extraFields = columns.indexedKeys
        // Per source: reader, tombstones, cache and the next ordinal, in parallel arrays (a
        // tuple of them copied per document cost a retain and release of each).
        let readers = sources.map(\.reader)
        let deleted = sources.map(\.deleted)
        let caches = sources.map { _ in DocStoreCache(capacity: 2, sharing: false) }
        let mergesPostings = PostingsMerge.canMerge(readers, extraFields: extraFields)
        var next = [UInt32](repeating: 0, count: sources.count)
        // Per source, the current output's ordinal of each of its docs (empty while none of
        // its docs went there), when merging postings.
        var newOrdinals = [[UInt32]](repeating: [], count: sources.count)
        var out: [SegmentReader] = []
        // What the output will hold (less what deletes and the size limit take): a large
        // segment's doc store gets larger dictionaries.
        let expected = min(options.maxSegmentBytes, try readers.reduce(0) { $0 + (try $1.store.storedBytes()) })
        var builder = SegmentBuilder(extraFields: extraFields, compression: compression, expectedStoredBytes: expected)
        func finishBuilder() throws {
            guard builder.count > 0 else { return }
            let image: UnsafeMutableRawBufferPointer
            if mergesPostings {
                let contributing = readers.indices.filter { !newOrdinals[$0].isEmpty }
                let merge = PostingsMerge(
                    sources: contributing.map { PostingsMerge.Source(reader: readers[$0], newOrdinals: newOrdinals[$0]) })
                image = try builder.finishImage(merging: merge)
                for k in contributing { newOrdinals[k] = [] }
            } else {
                image = builder.finishImage()
            }
            defer { image.deallocate() }
            let name = state.withLock { $0.takeSegmentName(day: day) }
            let path = segmentsDirectory + "/" + name + ".seg"
            try FileSystem.writeDurably(path, UnsafeRawBufferPointer(image))
            try FileSystem.syncDirectory(segmentsDirectory)
            out.append(try SegmentReader(name: name, storage: SegmentStorage(mapped: MappedFile(path: path))))
            builder = SegmentBuilder(extraFields: extraFields, compression: compression, expectedStoredBytes: expected)
        }
        var builderBytes = 0
        while true {
            if state.withLock({ $0.isClosing }) { throw AlcoError.closed }
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
            let ordinal = next[b]
            let doc = try readers[b].document(ordinal, cache: caches[b])
            // Its id was read on a path that cannot throw: a damaged page must stop the merge
            // before the builder takes what it read (or writes it out with new checksums).
            try readers[b].throwIfDamaged()
            next[b] += 1
            if let last = builder.lastID, last == doc.id { continue }
            if mergesPostings {
                if newOrdinals[b].isEmpty {
                    newOrdinals[b] = [UInt32](repeating: PostingsMerge.absent, count: readers[b].docCount)
                }
                newOrdinals[b][Int(ordinal)] = UInt32(builder.count)
                builder.addMerged(doc, length: readers[b].length(ordinal))
            } else {
                builder.add(doc)
            }
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
            let plan = state.withLock { s in s.segments.resolve(MergePolicy(options: options).optimize(s.segments.mergeDays)) }
            guard let plan else { return }
            guard try metrics.merge.time({ try install(merging: plan.sources, day: plan.day, compression: plan.compression) }) else { return }
        }
    }

    /// Background merging (its own queue, so it never delays sealing and persisting).
    func maintainMerges() {
        do {
            while try mergeOnce(deferWhileWriting: true) {}
        } catch {
            report("merging index \(name) failed: \(error)")
        }
    }
}
