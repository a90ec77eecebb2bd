import Foundation

/// The read path: snapshots of the live segments (sealing what is buffered first), searches
/// on them, documents by id, and what the index holds.
extension LogIndex {
    /// The segments a search reads, after sealing whatever is buffered. Documents a seal on
    /// another thread is building have left the buffer but are in no segment yet, so that seal
    /// is waited for (`seal()` takes the seal lock) rather than missed.
    public func snapshot(_ selection: PartitionSelection = .all) throws -> [SegmentSnapshot] {
        if state.withLock({ $0.buffer.hasUnsealed }) { try seal() }
        return state.withLock { $0.segments.snapshot(selection) }
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
        return (try quarantiningDamage { try Searcher.search(request, segments: snap) }, snap)
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

    /// Documents by id (any that exist), as readers see them: a document's pattern in its js
    /// (`Document.presentedJS`).
    public func documents(ids wanted: [UInt64]) throws -> [Document] {
        let snap = try snapshot()
        return try quarantiningDamage { try documents(ids: wanted, in: snap) }
    }

    private func documents(ids wanted: [UInt64], in snap: [SegmentSnapshot]) throws -> [Document] {
        var out: [Document] = []
        let cache = DocStoreCache()
        for id in wanted {
            for s in snap where id >= s.reader.minID && id <= s.reader.maxID {
                if let o = s.reader.ordinal(of: id), !s.deleted.contains(o) {
                    let d = try s.reader.document(o, cache: cache)
                    out.append(Document(id: d.id, logline: d.logline, js: d.presentedJS))
                    try s.reader.throwIfDamaged()
                    break
                }
            }
        }
        return out
    }

    /// Bytes per segment section, summed over the persisted segments.
    public func sectionSizes() -> [String: Int] {
        let segments = state.withLock { $0.segments }
        var out: [String: Int] = [:]
        for s in segments.all where s.isPersisted {
            for (k, v) in s.reader.sectionSizes { out[k, default: 0] += v }
        }
        return out
    }

    /// What the index holds, in the days `selection` takes (a day table's figures).
    public func stats(_ selection: PartitionSelection = .all) -> IndexStats {
        // Counted under the lock: a copy of the state held outside it would make the next
        // writer copy the buffer.
        state.withLock { s in IndexStats(of: s, name: name, selection: selection) }
    }
}

extension IndexStats {
    fileprivate init(of s: borrowing IndexState, name: String, selection: PartitionSelection) {
        var docs = 0, buffered = 0, deleted = 0, mem = 0, disk = 0, bytes = 0
        var days: [(day: Int, documents: Int, segments: Int)] = []
        var ids = s.buffer.idRange(days: { selection.contains(day: $0) })
        for day in s.buffer.dayNumbers.union(s.segments.dayNumbers).sorted() where selection.contains(day: day) {
            // A seal in progress holds documents that have left the buffer but are in no
            // segment yet: they are searchable (a search waits for the seal) and are counted.
            let unsealed = s.buffer.documents(inDay: day)
            var dayDocs = unsealed.buffered + unsealed.sealing
            buffered += unsealed.buffered
            let segments = s.segments.segments(inDay: day)
            for seg in segments {
                dayDocs += seg.reader.docCount - seg.deleted.count
                deleted += seg.deleted.count
                if seg.isPersisted { disk += 1 } else { mem += 1 }
                bytes += seg.isPersisted ? seg.reader.storage.bytes.count : 0
                if seg.reader.docCount > seg.deleted.count {
                    ids = min(ids?.lowerBound ?? seg.reader.minID, seg.reader.minID)...max(ids?.upperBound ?? seg.reader.maxID, seg.reader.maxID)
                }
            }
            docs += dayDocs
            days.append((day, dayDocs, segments.count))
        }
        self.init(
            name: name, documents: docs, bufferedDocuments: buffered, memorySegments: mem,
            diskSegments: disk, diskBytes: bytes, deletedDocuments: deleted, days: days,
            walLSN: s.appliedLSN, checkpointLSN: s.checkpointLSN, problems: s.problems,
            minID: ids?.lowerBound, maxID: ids?.upperBound)
        lateArrivals = s.lateArrivals
        bufferedBytes = s.buffer.bytes
    }
}
