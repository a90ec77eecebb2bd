import Foundation

/// The list of an index's live segments, replaced atomically on every flush or merge:
/// a segment file not named here is garbage, a WAL record at or below `checkpointLSN` is
/// already reflected here.
struct Manifest: Codable, Equatable {
    struct Entry: Codable, Equatable {
        var name: String
        var day: Int
        var docs: Int
        var minID: UInt64
        var maxID: UInt64
        var deletions: Int

        enum CodingKeys: String, CodingKey {
            case name, day, docs, minID = "min_id", maxID = "max_id", deletions
        }
    }

    var checkpointLSN: UInt64 = 0
    var nextSegment: Int = 1
    var segments: [Entry] = []

    enum CodingKeys: String, CodingKey {
        case checkpointLSN = "checkpoint_lsn", nextSegment = "next_segment", segments
    }

    static func read(_ path: String) throws -> Manifest {
        guard FileSystem.exists(path) else { return Manifest() }
        let bytes = try FileSystem.readAll(path)
        do {
            return try JSONDecoder().decode(Manifest.self, from: Data(bytes))
        } catch {
            throw AlcoError.invalidSetting("manifest \(path) is unreadable: \(error)")
        }
    }

    func write(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileSystem.writeAtomically(path, Array(try encoder.encode(self)))
    }
}

/// Tombstone files: `[u32 count][u32 crc32c][u32 ordinal]*`.
enum DeletionFile {
    static func write(_ path: String, _ set: DeletionSet) throws {
        var body = ByteWriter()
        for o in set.ordinals { body.u32(o) }
        var w = ByteWriter()
        w.u32(UInt32(set.count))
        w.u32(CRC32C.checksum(body.bytes))
        w.append(contentsOf: body.bytes)
        try FileSystem.writeAtomically(path, w.take())
    }

    static func read(_ path: String, docCount: Int) throws -> DeletionSet {
        let bytes = try FileSystem.readAll(path)
        return try bytes.withUnsafeBytes { buf in
            var r = ByteReader(buf)
            let n = Int(try r.u32())
            let crc = try r.u32()
            let body = try r.bytes(n * 4)
            guard CRC32C.checksum(body) == crc else { throw DecodeError("tombstone checksum mismatch") }
            var set = DeletionSet(docCount: docCount)
            var br = ByteReader(body)
            for _ in 0..<n { set.insert(try br.u32()) }
            return set
        }
    }
}

/// Assigns time-ordered ids: µs × 1000 + a per-µs sequence, unique within the index.
struct IDGenerator {
    private(set) var lastMicros: Int64 = 0
    private(set) var lastSequence: UInt64 = 0
    /// The largest id the index has ever held: anything above it is free without a look-up.
    private(set) var maxID: UInt64 = 0

    mutating func observe(_ id: UInt64) {
        maxID = max(maxID, id)
        let us = DocumentID.microseconds(of: id)
        let seq = id % DocumentID.perMicrosecond
        if us > lastMicros || (us == lastMicros && seq > lastSequence) {
            lastMicros = us
            lastSequence = seq
        }
    }

    mutating func next(microseconds us: Int64, hint: UInt64?, exists: (UInt64) -> Bool) -> UInt64 {
        if let hint {
            let candidate = DocumentID.make(microseconds: us, sequence: hint % DocumentID.perMicrosecond)
            if candidate > maxID || !exists(candidate) {
                observe(candidate)
                return candidate
            }
        }
        if us < lastMicros {
            // A late line: take the first free id at its time.
            var candidate = DocumentID.make(microseconds: us)
            while exists(candidate) { candidate += 1 }
            return candidate
        }
        if us > lastMicros {
            lastMicros = us
            lastSequence = 0
        } else {
            lastSequence += 1
            if lastSequence >= DocumentID.perMicrosecond {
                lastMicros += 1
                lastSequence = 0
            }
        }
        var id = DocumentID.make(microseconds: lastMicros, sequence: lastSequence)
        if id > maxID {
            observe(id)
            return id
        }
        while exists(id) {
            id += 1
            observe(id)
        }
        return id
    }
}
