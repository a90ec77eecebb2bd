import Foundation
import Testing

@testable import AlcoIndex

/// Cluster nodes split the ids: never the same id from two nodes, still at the line's time.
@Suite struct NodeIDTests {
    let us: Int64 = 1_795_000_000_000_000

    @Test func nodesNeverAssignTheSameIDForOneTimestamp() {
        var seen = Set<UInt64>()
        for node in [0, 1, 17, 63] {
            var generator = IDGenerator(node: node)
            var taken = Set<UInt64>()
            for _ in 0..<2_000 {
                guard let id = generator.next(microseconds: us, hint: nil, exists: { taken.contains($0) }) else {
                    Issue.record("no id")
                    return
                }
                #expect(id % UInt64(DocumentID.maxNodes) == UInt64(node))
                #expect(DocumentID.microseconds(of: id) >= us)
                taken.insert(id)
                #expect(seen.insert(id).inserted)
            }
            // 15 or 16 ids of one node per microsecond: 2000 lines stay within 134 µs.
            #expect(DocumentID.microseconds(of: taken.max()!) - us < 140)
        }
    }

    @Test func ordersOfArrivalAndTimeAreKept() {
        var generator = IDGenerator(node: 5)
        var last: UInt64 = 0
        var taken = Set<UInt64>()
        for k in 0..<500 {
            let id = generator.next(microseconds: us + Int64(k / 10), hint: nil, exists: { taken.contains($0) })!
            #expect(id > last)
            last = id
            taken.insert(id)
        }
    }

    @Test func aHintedIDIsTheSameOnEveryNode() {
        // A message redelivered to another node gets its first id again there.
        var a = IDGenerator(node: 1)
        var b = IDGenerator(node: 2)
        #expect(a.next(microseconds: us, hint: 42, exists: { _ in false }) == b.next(microseconds: us, hint: 42, exists: { _ in false }))
    }

    @Test func theDataDirectoryKeepsItsNodeNumber() throws {
        let dir = TemporaryDirectory()
        #expect(try NodeMarker.resolve(directory: dir.path, asked: nil) == nil)
        #expect(try NodeMarker.resolve(directory: dir.path, asked: 7) == 7)
        #expect(try NodeMarker.resolve(directory: dir.path, asked: nil) == 7)
        #expect(try NodeMarker.resolve(directory: dir.path, asked: 7) == 7)
        #expect(throws: AlcoError.self) { try NodeMarker.resolve(directory: dir.path, asked: 8) }
        #expect(throws: AlcoError.self) { try NodeMarker.resolve(directory: dir.path, asked: 64) }
        try FileSystem.writeAtomically(dir.path + "/node", Array("seven".utf8))
        #expect(throws: AlcoError.self) { try NodeMarker.resolve(directory: dir.path, asked: nil) }
    }

    @Test func aCatalogOpenedAsANodeAssignsItsOwnIDs() throws {
        let dir = TemporaryDirectory()
        var options = testOptions()
        options.node = 9
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let catalog = try Catalog(directory: dir.path, options: options)
        let index = try catalog.createIndex(IndexSettings(name: "logs"))
        let ids = try index.append((0..<300).map { NewDocument(microseconds: now, logline: "line \($0)") })
        #expect(ids.allSatisfy { $0 % 64 == 9 })
        #expect(Set(ids).count == 300)
        try catalog.close()
        var other = options
        other.node = 10
        #expect(throws: AlcoError.self) { try Catalog(directory: dir.path, options: other) }
    }
}
