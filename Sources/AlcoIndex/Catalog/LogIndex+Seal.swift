import Foundation

/// Sealing: the realtime buffer's documents become immutable in-memory segments, big seals
/// built as one segment per core in parallel.
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
