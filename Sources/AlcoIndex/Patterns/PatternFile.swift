import Foundation

/// An index's patterns on disk (`patterns.json`): every pattern with its template, what it
/// merged into and when it was first seen, and the LSN they reflect. Written at each persist
/// when patterns changed; records after that LSN carry their own changes in the WAL.
struct PatternFile {
    struct Entry {
        var id: UInt32
        var template: String
        var mergedInto: UInt32?
        var firstSeen: Int64
    }

    var lsn: UInt64
    var patterns: [Entry]

    init(lsn: UInt64, miner: PatternMiner) {
        self.lsn = lsn
        patterns = miner.patterns.map { Entry(id: $0.id, template: $0.template, mergedInto: $0.mergedInto, firstSeen: $0.firstSeen) }
    }

    init(lsn: UInt64, patterns: [Entry]) {
        self.lsn = lsn
        self.patterns = patterns
    }

    /// Reads what `encoded()` writes (JSON; members in any order).
    static func decode(_ bytes: [UInt8]) throws -> PatternFile {
        let top = try JSONFields(try JSONParser.parse(bytes), "patterns file")
        let entries = try top.array("patterns").enumerated().map { k, item in
            let e = try JSONFields(item, "pattern \(k)")
            return Entry(
                id: try e.integer("id"), template: try e.string("template"),
                mergedInto: try e.optionalInteger("merged_into"), firstSeen: try e.integer("first_seen"))
        }
        return PatternFile(lsn: try top.integer("lsn"), patterns: entries)
    }

    /// The saved miner and its LSN; nil when there is no file.
    static func read(_ path: String) throws -> (miner: PatternMiner, lsn: UInt64)? {
        guard FileSystem.exists(path) else { return nil }
        let file: PatternFile
        do {
            file = try decode(try FileSystem.readAll(path))
        } catch {
            throw AlcoError.invalidSetting("patterns file \(path) is unreadable: \(error)")
        }
        var saved: [PatternMiner.Pattern] = []
        for (k, e) in file.patterns.enumerated() {
            guard e.id == UInt32(k), e.mergedInto.map({ Int($0) < file.patterns.count && $0 != e.id }) ?? true else {
                throw AlcoError.invalidSetting("patterns file \(path): pattern \(k) is out of order or merges into nothing")
            }
            let words = PatternMiner.Pattern.words(ofTemplate: e.template)
            saved.append(PatternMiner.Pattern(id: e.id, words: words, mergedInto: e.mergedInto, firstSeen: e.firstSeen))
        }
        return (PatternMiner(restoring: saved), file.lsn)
    }

    /// Written by hand, one pattern per line (JSONEncoder costs more than mining them did).
    func write(_ path: String) throws { try FileSystem.writeAtomically(path, encoded()) }

    func encoded() -> [UInt8] {
        var out = Array("{\"lsn\":\(lsn),\"patterns\":[".utf8)
        for (k, e) in patterns.enumerated() {
            out.append(contentsOf: ((k == 0 ? "\n" : ",\n") + "{\"first_seen\":\(e.firstSeen),\"id\":\(e.id),").utf8)
            if let into = e.mergedInto { out.append(contentsOf: "\"merged_into\":\(into),".utf8) }
            out.append(contentsOf: "\"template\":".utf8)
            JSONValue.writeString(e.template, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "\n]}\n".utf8)
        return out
    }
}
