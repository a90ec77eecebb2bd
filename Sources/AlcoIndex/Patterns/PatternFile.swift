import Foundation

/// An index's patterns on disk (`patterns.json`): every pattern with its template, what it
/// merged into and when it was first seen, and the LSN they reflect. Written at each persist
/// when patterns changed; records after that LSN carry their own changes in the WAL.
struct PatternFile: Codable {
    struct Entry: Codable {
        var id: UInt32
        var template: String
        var mergedInto: UInt32?
        var firstSeen: Int64

        enum CodingKeys: String, CodingKey {
            case id, template, mergedInto = "merged_into", firstSeen = "first_seen"
        }
    }

    var lsn: UInt64
    var patterns: [Entry]

    init(lsn: UInt64, miner: PatternMiner) {
        self.lsn = lsn
        patterns = miner.patterns.map { Entry(id: $0.id, template: $0.template, mergedInto: $0.mergedInto, firstSeen: $0.firstSeen) }
    }

    /// The saved miner and its LSN; nil when there is no file.
    static func read(_ path: String) throws -> (miner: PatternMiner, lsn: UInt64)? {
        guard FileSystem.exists(path) else { return nil }
        let file: PatternFile
        do {
            file = try JSONDecoder().decode(PatternFile.self, from: Data(try FileSystem.readAll(path)))
        } catch {
            throw AlcoError.invalidSetting("patterns file \(path) is unreadable: \(error)")
        }
        var saved: [PatternMiner.Pattern] = []
        for (k, e) in file.patterns.enumerated() {
            guard e.id == UInt32(k), e.mergedInto.map({ Int($0) < file.patterns.count && $0 != e.id }) ?? true else {
                throw AlcoError.invalidSetting("patterns file \(path): pattern \(k) is out of order or merges into nothing")
            }
            let words = e.template.isEmpty ? [] : e.template.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            saved.append(PatternMiner.Pattern(id: e.id, words: words, mergedInto: e.mergedInto, firstSeen: e.firstSeen))
        }
        return (PatternMiner(restoring: saved), file.lsn)
    }

    func write(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try FileSystem.writeAtomically(path, Array(try encoder.encode(self)))
    }
}
