import Foundation

/// The write path: appends (ids assigned, the WAL record queued and applied under the state
/// lock, then the group fsync awaited), deletes and truncation. `IndexState.apply` applies a
/// logged change to memory, at write time and at replay alike.
extension LogIndex {
    /// The arrival sequence the next appended document will get (see `arrivals(since:limit:)`).
    public var arrivalSequence: UInt64 { state.withLock { $0.arrivals.next } }

    /// Ids of documents appended at arrival sequence `from` or later, in the order they became
    /// searchable: what a live tail shows next.
    public func arrivals(since from: UInt64, limit: Int) -> Arrivals {
        state.withLock { $0.arrivals.since(from, limit: limit) }
    }

    /// Appends documents; returns their ids once the batch is in the WAL and fsynced. With a
    /// `mark` (inserts only), the source's position is logged in the same record as the batch,
    /// so both are durable or neither is; a mark alone (no documents) is logged too.
    @discardableResult
    public func append(_ batch: [NewDocument], mode: WriteMode = .insert, mark: SourceMark? = nil) throws -> [UInt64] {
        if let mark {
            guard mode == .insert else { throw AlcoError.invalidDocument("a source mark goes with inserts only") }
            guard mark.key.utf8.count <= SourceMarks.maxKeyBytes, mark.value.utf8.count <= SourceMarks.maxValueBytes else {
                throw AlcoError.invalidDocument("a source mark is at most \(SourceMarks.maxKeyBytes) bytes of key and \(SourceMarks.maxValueBytes) of value")
            }
        }
        guard !batch.isEmpty || mark != nil else { return [] }
        let excluded = columns.excludedKeys
        let now = Int64(Date().timeIntervalSince1970 * 1e6)
        // Each document's js (excluded keys removed) and time; the document itself is read from
        // `batch` by position rather than copied here (a copy retains and releases its strings).
        var prepared: [(js: String, us: Int64, pattern: UInt32?)] = []
        prepared.reserveCapacity(batch.count)
        // Masked messages of the documents that get a pattern (the costly part, outside the lock).
        var masked = MaskedMessages()
        var patterned: [Int] = []
        for d in batch {
            var text = d.js
            guard text.utf8.first == UInt8(ascii: "{"), text.utf8.last == UInt8(ascii: "}") else {
                throw AlcoError.invalidDocument("js must be a JSON object")
            }
            if !excluded.isEmpty { text = try LogIndex.removing(excluded, from: text) }
            let us = d.id.map { DocumentID.microseconds(of: $0) } ?? d.microseconds ?? now
            if d.id == nil && !DocumentID.canHold(microseconds: us) {
                throw AlcoError.invalidDocument(
                    "time \(us) µs since the epoch is outside what an id holds (1970-01-01 to 2554-07-21)")
            }
            if options.minePatterns, let offset = d.messageOffset {
                masked.append(d.logline, from: offset)
                patterned.append(prepared.count)
            }
            prepared.append((text, us, nil))
        }
        let (docs, lsn) = try state.withLock { s -> ([Document], UInt64) in
            guard !s.isClosed else { throw AlcoError.closed }
            for (m, k) in patterned.enumerated() {
                prepared[k].pattern = masked.withMessage(m) { s.patterns.add($0, at: prepared[k].us) }
            }
            let docs = try s.assignIDs(batch, prepared, mode: mode, index: name)
            let delta = patterned.isEmpty ? nil : s.patterns.takeDelta()
            if let delta, !delta.isEmpty { s.patternsDirty = true }
            let extras = InsertExtras(replaces: mode == .replace, mark: mark, patterns: delta)
            // Documents with patterns need the extended record, which carries their ids.
            let record: WALRecord =
                !extras.isEmpty || !patterned.isEmpty
                ? .insertExtended(docs, extras) : mode == .replace ? .replace(docs) : .insert(docs)
            let lsn = wal.enqueue(record)
            s.apply(record, lsn: lsn, replaying: false)
            s.appliedLSN = lsn
            s.arrivals.record(docs.lazy.map(\.id))
            s.noteLateArrivals(prepared.lazy.map(\.us), now: now)
            return (docs, lsn)
        }
        do {
            try wal.waitDurable(lsn)
        } catch {
            // Not in the log (a full disk), so not acknowledged: take the batch back out of
            // memory, or a seal would store what the writer was told failed and its retry would
            // duplicate it. (Documents a REPLACE displaced stay gone until the next open.)
            state.withLock { s in
                for d in docs { _ = s.delete(d.id) }
                s.marks.forget(lsn: lsn)
            }
            throw error
        }
        let (docsBuffered, bytesBuffered) = state.withLock { ($0.buffer.count, $0.buffer.bytes) }
        if docsBuffered > options.maxBufferedDocs || bytesBuffered > options.maxBufferedBytes { try seal() }
        return docs.map(\.id)
    }

    /// The last mark a source stored under `key` (see `append(_:mode:mark:)`).
    public func sourceMark(_ key: String) -> String? { state.withLock { $0.marks.latest(key) } }

    /// The keys of the marks this index holds.
    public var sourceMarkKeys: [String] { state.withLock { $0.marks.keys } }

    /// The js text without the excluded top-level keys (ALCO's `excluded` columns).
    static func removing(_ excluded: Set<String>, from text: String) throws -> String {
        var text = text
        return try text.withUTF8 { buf -> String in
            let raw = UnsafeRawBufferPointer(buf)
            let members = try JSONScanner.topLevelMembers(raw)
            guard members.contains(where: { excluded.contains($0.key) }) else { return String(decoding: raw, as: UTF8.self) }
            var out: [UInt8] = [UInt8(ascii: "{")]
            for m in members where !excluded.contains(m.key) {
                if out.count > 1 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(m.key, to: &out)
                out.append(UInt8(ascii: ":"))
                out.append(contentsOf: raw[m.value])
            }
            out.append(UInt8(ascii: "}"))
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Deletes documents by id; returns how many existed.
    @discardableResult
    public func delete(ids: [UInt64]) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let (existing, lsn) = try state.withLock { s -> ([UInt64], UInt64) in
            guard !s.isClosed else { throw AlcoError.closed }
            let existing = Array(Set(ids)).filter { s.contains($0) }
            if existing.isEmpty { return ([], 0) }
            let lsn = wal.enqueue(.delete(existing))
            s.apply(.delete(existing), lsn: lsn, replaying: false)
            s.appliedLSN = lsn
            return (existing, lsn)
        }
        if existing.isEmpty { return 0 }
        try wal.waitDurable(lsn)
        return existing.count
    }

    /// Deletes every document a query matches; returns how many.
    @discardableResult
    public func delete(matching request: SearchRequest) throws -> Int {
        let snap = try snapshot(request.partitions)
        let ids = try quarantiningDamage { try Searcher.matchingIDs(request, segments: snap) }
        return try delete(ids: ids)
    }

    /// Removes every document (TRUNCATE RTINDEX).
    public func truncate() throws {
        maintenanceLock.lock()
        defer { maintenanceLock.unlock() }
        let lsn = state.withLock { s in
            let lsn = wal.enqueue(.truncate)
            s.apply(.truncate, lsn: lsn, replaying: false)
            s.appliedLSN = lsn
            return lsn
        }
        try wal.waitDurable(lsn)
        try writeManifest()
    }

    /// True when a document with this id exists.
    public func contains(_ id: UInt64) -> Bool { state.withLock { $0.contains(id) } }
}
