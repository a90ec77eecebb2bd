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

    /// A day's summary (its groups, made once) lasts exactly as long as that day's segments
    /// and tombstones stay as they were; other days keep theirs.
    @Test func aDaysSummaryLastsUntilThatDayChanges() throws {
        var set = SegmentSet()
        set.add(try segment("a", day: 1, ids: [10, 20]))
        set.add(try segment("b", day: 2, ids: [30]))
        // The summaries themselves are held, so a new one cannot take a freed one's address.
        func summaries() -> [DaySummary] { set.snapshot(.all).compactMap(\.day) }
        let first = summaries()
        #expect(first.count == 2 && first[0] !== first[1])
        #expect(zip(summaries(), first).allSatisfy { $0 === $1 })

        set.add(try segment("c", day: 2, ids: [40]))
        let second = summaries()
        #expect(second[0] === first[0] && second[1] !== first[1] && second[1] === second[2])

        let deleted = set.delete(10, day: 1)
        #expect(deleted)
        let third = summaries()
        #expect(third[0] !== second[0] && third[1] === second[1])
        #expect(!third[0].hasNoDeletions && third[1].hasNoDeletions)

        set.update("b", inDay: 2) { $0.isPersisted = true }
        let fourth = summaries()
        #expect(fourth[0] === third[0] && fourth[1] !== third[1])

        _ = set.removeDay(1)
        let dayTwo = set.snapshot(.day(2))
        #expect(dayTwo.map(\.day?.docCount) == [2, 2])
        #expect(summaries().count == 2)
    }
}
