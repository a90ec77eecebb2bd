import Foundation

/// Sealing: the realtime buffer's documents become immutable in-memory segments, big seals
/// built as one segment per core in parallel.
extension LogIndex {
    /// Builds immutable in-memory segments from the buffered documents.
    public func seal() throws {
        sealLock.lock()
        defer { sealLock.unlock() }
        let extraFields = columns.indexedKeys
        let work = state.withLock { $0.buffer.beginSeal() }
        if work.isEmpty { return }
        let started = DispatchTime.now().uptimeNanoseconds
        defer { metrics.seal.recordNanoseconds(since: started) }
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
        var built: [LiveSegment] = []
        do {
            for (i, chunk) in chunks.enumerated() {
                let name = state.withLock { $0.takeSegmentName(day: chunk.day) }
                let reader = try SegmentReader(name: name, storage: SegmentStorage(adopting: images[i]!))
                built.append(
                    LiveSegment(
                        name: name, day: chunk.day, reader: reader, deleted: DeletionSet(docCount: reader.docCount),
                        isPersisted: false, persistedDeletions: 0))
            }
        } catch {
            // The documents go back to the buffer (they are in the WAL, which keeps them until
            // a checkpoint passes them), so a failed seal loses nothing.
            for image in images.dropFirst(built.count + 1) { image?.deallocate() }  // the failed one went with its storage
            state.withLock { $0.buffer.abortSeal(work, now: DispatchTimeLike.now()) }
            throw error
        }
        for i in chunks.indices { columns.observe(summaries[i]) }
        state.withLock { s in
            let outcome = s.buffer.endSeal()
            if outcome.truncated { return }
            for var segment in built {
                for id in outcome.deleted {
                    if let o = segment.reader.ordinal(of: id) { segment.deleted.insert(o) }
                }
                s.segments.add(segment)
            }
        }
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
