import Foundation

/// The read path: snapshots of the live segments (sealing what is buffered first), searches
/// on them, documents by id, and what the index holds.
extension LogIndex {
    /// The segments a search reads, after sealing whatever is buffered. Documents a seal on
    /// another thread is building have left the buffer but are in no segment yet, so that seal
    /// is waited for (`seal()` takes the seal lock) rather than missed.
    public func snapshot(_ selection: PartitionSelection = .all) throws -> [SegmentSnapshot] {
        let unsealed = stateLock.withLock { !sealing.isEmpty || partitions.values.contains { !$0.buffer.isEmpty } }
        if unsealed { try seal() }
        return stateLock.withLock {
            partitions.values.filter { selection.contains(day: $0.day) }.flatMap { p in p.segments.map { SegmentSnapshot(reader: $0.reader, deleted: $0.deleted) } }
        }
    }

    /// Fields a MATCH() may name: `logline`, `js` and js columns flagged `indexed`.
    public var fullTextFields: [String] { SegmentFormat.Field.names + columns.indexedKeys }

    public func search(_ request: SearchRequest) throws -> SearchResult {
        try searchKeepingSnapshot(request).result
    }

    /// A search and the snapshot it ran on, for follow-up work (a deferred count) that must
    /// see the same documents.
    public func searchKeepingSnapshot(_ request: SearchRequest) throws -> (result: SearchResult, snapshot: [SegmentSnapshot]) {
        try checkFields(request.text)
        var request = request
        if request.timeLimitMilliseconds == nil { request.timeLimitMilliseconds = options.defaultQueryTimeMilliseconds }
        let snap = try snapshot(request.partitions)
        return (try Searcher.search(request, segments: snap), snap)
    }

    func checkFields(_ q: TextQuery) throws {
        let known = Set(fullTextFields)
        func check(_ limit: FieldLimit) throws {
            switch limit {
            case .all: return
            case .only(let names), .except(let names):
                if let bad = names.first(where: { !known.contains($0) }) {
                    throw AlcoError.query(message: "no field '\(bad)' found in schema", position: 0)
                }
            }
        }
        switch q {
        case .term(_, let f, _), .phrase(_, let f, _), .quorum(_, let f, _): try check(f)
        case .and(let qs), .or(let qs): for x in qs { try checkFields(x) }
        case .not(let x): try checkFields(x)
        case .substring, .regex, .all: return
        }
    }

    /// Documents by id (any that exist).
    public func documents(ids wanted: [UInt64]) throws -> [Document] {
        let snap = try snapshot()
        var out: [Document] = []
        let cache = DocStoreCache()
        for id in wanted {
            for s in snap where id >= s.reader.minID && id <= s.reader.maxID {
                if let o = s.reader.ordinal(of: id), !s.deleted.contains(o) {
                    out.append(try s.reader.document(o, cache: cache))
                    break
                }
            }
        }
        return out
    }

    /// Bytes per segment section, summed over the persisted segments.
    public func sectionSizes() -> [String: Int] {
        stateLock.withLock {
            var out: [String: Int] = [:]
            for p in partitions.values {
                for s in p.segments where s.isPersisted {
                    for (k, v) in s.reader.sectionSizes { out[k, default: 0] += v }
                }
            }
            return out
        }
    }

    public func stats() -> IndexStats {
        stateLock.withLock {
            var docs = 0, buffered = 0, mem = 0, disk = 0, bytes = 0, deleted = 0
            var days: [(Int, Int, Int)] = []
            var minID: UInt64?
            var maxID: UInt64?
            // A seal in progress holds documents that have left the buffer but are in no
            // segment yet: they are searchable (a search waits for the seal) and are counted.
            var sealingByDay: [Int: Int] = [:]
            for (day, ids) in sealing where !ids.isEmpty {
                sealingByDay[day, default: 0] += ids.count
                minID = min(minID ?? ids[0], ids[0])
                maxID = max(maxID ?? ids[ids.count - 1], ids[ids.count - 1])
            }
            if !deletedWhileSealing.isEmpty {
                for id in deletedWhileSealing {
                    let day = calendar.day(ofMicroseconds: DocumentID.microseconds(of: id))
                    sealingByDay[day, default: 0] -= 1
                }
            }
            for p in partitions.values.sorted(by: { $0.day < $1.day }) {
                var dayDocs = p.buffer.count + (sealingByDay[p.day] ?? 0)
                buffered += p.buffer.count
                for id in p.buffer.keys {
                    minID = min(minID ?? id, id)
                    maxID = max(maxID ?? id, id)
                }
                for s in p.segments {
                    dayDocs += s.reader.docCount - s.deleted.count
                    deleted += s.deleted.count
                    if s.isPersisted { disk += 1 } else { mem += 1 }
                    bytes += s.isPersisted ? s.reader.storage.bytes.count : 0
                    if s.reader.docCount > s.deleted.count {
                        minID = min(minID ?? s.reader.minID, s.reader.minID)
                        maxID = max(maxID ?? s.reader.maxID, s.reader.maxID)
                    }
                }
                docs += dayDocs
                days.append((p.day, dayDocs, p.segments.count))
            }
            return IndexStats(
                name: name, documents: docs, bufferedDocuments: buffered, memorySegments: mem,
                diskSegments: disk, diskBytes: bytes, deletedDocuments: deleted,
                days: days.map { (day: $0.0, documents: $0.1, segments: $0.2) },
                walLSN: appliedLSN, checkpointLSN: checkpointLSN, problems: problemsValue,
                minID: minID, maxID: maxID)
        }
    }
}
