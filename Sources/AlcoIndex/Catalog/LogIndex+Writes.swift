import Foundation

/// The write path: appends (ids assigned, the WAL record queued under the state lock, then
/// the group fsync awaited), deletes, truncation, and applying a logged change to memory (at
/// write time and at replay), with where a live document is.
extension LogIndex {
    /// The arrival sequence the next appended document will get (see `arrivals(since:limit:)`).
    public var arrivalSequence: UInt64 { stateLock.withLock { arrivalLog.next } }

    /// Ids of documents appended at arrival sequence `from` or later, in the order they became
    /// searchable: what a live tail shows next.
    public func arrivals(since from: UInt64, limit: Int) -> Arrivals {
        stateLock.withLock { arrivalLog.since(from, limit: limit) }
    }

    /// Appends documents; returns their ids once the batch is in the WAL and fsynced.
    @discardableResult
    public func append(_ batch: [NewDocument], mode: WriteMode = .insert) throws -> [UInt64] {
        guard !batch.isEmpty else { return [] }
        let excluded = columns.excludedKeys
        let now = Int64(Date().timeIntervalSince1970 * 1e6)
        // Each document's js (excluded keys removed) and time; the document itself is read from
        // `batch` by position rather than copied here (a copy retains and releases its strings).
        var prepared: [(js: String, us: Int64)] = []
        prepared.reserveCapacity(batch.count)
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
            prepared.append((text, us))
        }
        stateLock.lock()
        var docs: [Document] = []
        docs.reserveCapacity(prepared.count)
        let lsn: UInt64
        do {
            defer { stateLock.unlock() }
            guard !isClosed else { throw AlcoError.closed }
            var inBatch = Set<UInt64>()
            for (k, p) in prepared.enumerated() {
                let id: UInt64
                if let given = batch[k].id {
                    id = given
                    if mode == .insert && (inBatch.contains(id) || containsLocked(id)) {
                        throw AlcoError.duplicateID(id, index: name)
                    }
                } else {
                    guard let next = ids.next(microseconds: p.us, hint: batch[k].sequenceHint, exists: { inBatch.contains($0) || self.containsLocked($0) })
                    else { throw AlcoError.invalidDocument("no free id is left at time \(p.us) µs") }
                    id = next
                }
                inBatch.insert(id)
                docs.append(Document(id: id, logline: batch[k].logline, js: p.js))
            }
            let record: WALRecord = mode == .insert ? .insert(docs) : .replace(docs)
            lsn = wal.enqueue(record)
            apply(record, lsn: lsn, replaying: false)
            appliedLSN = lsn
            arrivalLog.record(docs.lazy.map(\.id))
        }
        do {
            try wal.waitDurable(lsn)
        } catch {
            // Not in the log (a full disk), so not acknowledged: take the batch back out of
            // memory, or a seal would store what the writer was told failed and its retry would
            // duplicate it. (Documents a REPLACE displaced stay gone until the next open.)
            stateLock.withLock {
                for d in docs { _ = deleteLocked(d.id) }
            }
            throw error
        }
        let (docsBuffered, bytesBuffered) = stateLock.withLock { (bufferedDocs, partitions.values.reduce(0) { $0 + $1.bufferBytes }) }
        if docsBuffered > options.maxBufferedDocs || bytesBuffered > options.maxBufferedBytes { try seal() }
        return docs.map(\.id)
    }

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
        stateLock.lock()
        let lsn: UInt64
        let existing: [UInt64]
        do {
            defer { stateLock.unlock() }
            guard !isClosed else { throw AlcoError.closed }
            existing = Array(Set(ids)).filter { containsLocked($0) }
            if existing.isEmpty { return 0 }
            lsn = wal.enqueue(.delete(existing))
            apply(.delete(existing), lsn: lsn, replaying: false)
            appliedLSN = lsn
        }
        try wal.waitDurable(lsn)
        return existing.count
    }

    /// Deletes every document a query matches; returns how many.
    @discardableResult
    public func delete(matching request: SearchRequest) throws -> Int {
        let snap = try snapshot(request.partitions)
        let ids = try Searcher.matchingIDs(request, segments: snap)
        return try delete(ids: ids)
    }

    /// Removes every document (TRUNCATE RTINDEX).
    public func truncate() throws {
        maintenanceLock.lock()
        defer { maintenanceLock.unlock() }
        stateLock.lock()
        let lsn: UInt64
        do {
            defer { stateLock.unlock() }
            lsn = wal.enqueue(.truncate)
            apply(.truncate, lsn: lsn, replaying: false)
            appliedLSN = lsn
        }
        try wal.waitDurable(lsn)
        try writeManifest()
    }

    /// Applies a logged change to memory. Caller holds stateLock (or is replaying at open).
    func apply(_ record: WALRecord, lsn: UInt64, replaying: Bool) {
        switch record {
        case .insert(let docs), .replace(let docs):
            let replace: Bool = { if case .replace = record { return true } else { return replaying } }()
            for d in docs {
                if replace { _ = deleteLocked(d.id) }
                let p = partition(calendar.day(ofMicroseconds: d.microseconds))
                if p.buffer.updateValue(d, forKey: d.id) == nil { bufferedDocs += 1 }
                p.bufferBytes += d.bufferCost
                if p.bufferMinLSN == nil { p.bufferMinLSN = lsn }
                ids.observe(d.id)
            }
            let now = DispatchTimeLike.now()
            if oldestBufferedAt == nil { oldestBufferedAt = now }
            if !replaying { lastAppendAt = now }
        case .delete(let ids):
            for id in ids { _ = deleteLocked(id) }
        case .truncate:
            for p in partitions.values { retired += p.segments.filter(\.isPersisted).map(\.name) }
            partitions = [:]
            bufferedDocs = 0
            if !sealing.isEmpty { truncatedWhileSealing = true }
            oldestBufferedAt = nil
        }
    }

    /// Where a live document is. Caller holds stateLock.
    enum Location {
        case sealing
        case buffer(Partition)
        case segment(Partition, index: Int, ordinal: UInt32)
    }

    func locateLocked(_ id: UInt64) -> Location? {
        if isSealing(id) && !deletedWhileSealing.contains(id) { return .sealing }
        guard let p = partitions[calendar.day(ofMicroseconds: DocumentID.microseconds(of: id))] else { return nil }
        if p.buffer[id] != nil { return .buffer(p) }
        for (k, s) in p.segments.enumerated() where id >= s.reader.minID && id <= s.reader.maxID {
            if let o = s.reader.ordinal(of: id), !s.deleted.contains(o) { return .segment(p, index: k, ordinal: o) }
        }
        return nil
    }

    func containsLocked(_ id: UInt64) -> Bool { locateLocked(id) != nil }

    /// Whether a seal in progress holds `id`. Caller holds stateLock.
    func isSealing(_ id: UInt64) -> Bool {
        for (_, ids) in sealing where !ids.isEmpty && id >= ids[0] && id <= ids[ids.count - 1] {
            var lo = 0
            var hi = ids.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if ids[mid] < id { lo = mid + 1 } else { hi = mid }
            }
            if lo < ids.count && ids[lo] == id { return true }
        }
        return false
    }

    func deleteLocked(_ id: UInt64) -> Bool {
        switch locateLocked(id) {
        case nil:
            return false
        case .sealing:
            deletedWhileSealing.insert(id)
        case .buffer(let p):
            let old = p.buffer.removeValue(forKey: id)!
            bufferedDocs -= 1
            p.bufferBytes -= old.bufferCost
        case .segment(let p, let k, let o):
            p.segments[k].deleted.insert(o)
        }
        return true
    }

    /// True when a document with this id exists.
    public func contains(_ id: UInt64) -> Bool { stateLock.withLock { containsLocked(id) } }
}
