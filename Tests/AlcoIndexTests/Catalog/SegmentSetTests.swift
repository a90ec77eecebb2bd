import Foundation
import Testing

@testable import AlcoIndex

/// The segment set as a value: a copy a search holds never changes under it.
@Suite struct SegmentSetTests {
    private func segment(_ name: String, day: Int, ids: [UInt64], persisted: Bool = true) throws -> LiveSegment {
        let builder = SegmentBuilder(extraFields: [])
        for id in ids { builder.add(Document(id: id, logline: "line \(id)")) }
        let reader = try SegmentReader(name: name, storage: SegmentStorage(adopting: builder.finishImage()))
        return LiveSegment(
            name: name, day: day, reader: reader, deleted: DeletionSet(docCount: reader.docCount),
            isPersisted: persisted, persistedDeletions: 0)
    }

    @Test func aCopyKeepsItsTombstonesWhileTheSetChanges() throws {
        var set = SegmentSet()
        set.add(try segment("a", day: 1, ids: [10, 20, 30]))
        // A snapshot made before the copy (cached in both) must not outlive the deletion in `set`.
        #expect(set.snapshot(.all).map(\.liveCount) == [3])
        var held = set
        do {
            let result = set.delete(20, day: 1)
            #expect(result)
        }
        do {
            let result = set.delete(20, day: 1)
            #expect(!result)
        }
        do {
            let result = set.delete(20, day: 2)
            #expect(!result)
        }
        #expect(set.locate(20, day: 1) == nil)
        #expect(held.locate(20, day: 1) != nil)
        #expect(held.snapshot(.all).map(\.liveCount) == [3])
        #expect(set.snapshot(.all).map(\.liveCount) == [2])
        #expect(set.all[0].hasUnpersistedDeletions)
    }

    @Test func aMergeInstallsOnlyWhileEverySourceIsLive() throws {
        var set = SegmentSet()
        set.add(try segment("a", day: 1, ids: [1, 2]))
        set.add(try segment("b", day: 1, ids: [3]))
        let merged = try segment("c", day: 1, ids: [1, 2, 3])
        do {
            let result = set.replace(["a", "gone"], inDay: 1, with: [merged])
            #expect(!result)
        }
        #expect(set.all.map(\.name) == ["a", "b"])
        do {
            let result = set.replace(["a", "b"], inDay: 1, with: [merged])
            #expect(result)
        }
        #expect(set.all.map(\.name) == ["c"])
    }

    @Test func theManifestNamesPersistedSegmentsByDay() throws {
        var set = SegmentSet()
        set.add(try segment("late", day: 2, ids: [50]))
        set.add(try segment("memory", day: 1, ids: [5], persisted: false))
        set.add(try segment("early", day: 1, ids: [7, 8]))
        #expect(set.manifestEntries.map(\.name) == ["early", "late"])
        #expect(set.manifestEntries.map(\.day) == [1, 2])
        #expect(set.mergeDays.first { $0.day == 1 }?.segmentCount == 2)
        #expect(set.snapshot(.day(2)).count == 1)
        set.remove(["late"])
        #expect(Set(set.dayNumbers) == [1])
        do {
            let result = set.removeDay(1)
            #expect(result.map(\.name) == ["memory", "early"])
        }
        #expect(set.all.isEmpty)
    }
}
