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
    /// Source marks as of the checkpoint (absent in manifests written before there were any).
    var sourceMarks: [String: String]?

    enum CodingKeys: String, CodingKey {
        case checkpointLSN = "checkpoint_lsn", nextSegment = "next_segment", segments, sourceMarks = "source_marks"
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
