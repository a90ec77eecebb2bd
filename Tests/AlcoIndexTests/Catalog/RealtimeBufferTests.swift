import Foundation
import Testing

@testable import AlcoIndex

/// The realtime buffer as a value: what it holds before, during and after a seal.
@Suite struct RealtimeBufferTests {
    private func document(_ id: UInt64, _ line: String = "line") -> Document { Document(id: id, logline: line) }

    @Test func holdsDocumentsPerDayWithTheirBytesAndOldestLSN() {
        var buffer = RealtimeBuffer()
        buffer.insert(document(5, "five"), day: 20_260_101, lsn: 7, now: 100)
        buffer.insert(document(9, "nine"), day: 20_260_102, lsn: 8, now: 200)
        #expect(buffer.count == 2)
        #expect(buffer.bytes == document(5, "five").bufferCost + document(9, "nine").bufferCost)
        #expect(buffer.oldestArrival == 100)
        #expect(buffer.oldestUnsealedLSN == 7)
        #expect(buffer.locate(5, day: 20_260_101) == .buffered)
        #expect(buffer.locate(5, day: 20_260_102) == nil)
        #expect(buffer.idRange() == 5...9)
        #expect(buffer.idRange(days: { $0 == 20_260_102 }) == 9...9)
        do {
            let result = buffer.remove(5, day: 20_260_101)
            #expect(result)
        }
        do {
            let result = buffer.remove(5, day: 20_260_101)
            #expect(!result)
        }
        #expect(buffer.count == 1)
        #expect(buffer.bytes == document(9, "nine").bufferCost)
        // Replacing a document in place changes the bytes by the difference only.
        buffer.insert(document(9, "nine, longer"), day: 20_260_102, lsn: 9, now: 300)
        #expect(buffer.count == 1)
        #expect(buffer.bytes == document(9, "nine, longer").bufferCost)
    }

    @Test func aSealKeepsItsDocumentsFindableAndRemembersDeletions() {
        var buffer = RealtimeBuffer()
        for (lsn, id): (UInt64, UInt64) in [(10, 30), (11, 10), (12, 20)] { buffer.insert(document(id), day: 1, lsn: lsn, now: 1) }
        let work = buffer.beginSeal()
        #expect(work.count == 1)
        #expect(work[0].documents.map(\.id) == [10, 20, 30])
        #expect(buffer.count == 0 && buffer.bytes == 0 && buffer.oldestArrival == nil)
        #expect(buffer.isSealing && buffer.hasUnsealed)
        // The seal's oldest record stays in the WAL until the seal ends.
        #expect(buffer.oldestUnsealedLSN == 10)
        #expect(buffer.locate(20, day: 1) == .sealing)
        do {
            let result = buffer.remove(20, day: 1)
            #expect(result)
        }
        #expect(buffer.locate(20, day: 1) == nil)
        do {
            let result = buffer.remove(20, day: 1)
            #expect(!result)
        }
        #expect(buffer.documents(inDay: 1) == (buffered: 0, sealing: 2))
        // A REPLACE of a sealing id: the sealed copy is deleted, the new one buffered.
        do {
            let result = buffer.remove(30, day: 1)
            #expect(result)
        }
        buffer.insert(document(30, "new"), day: 1, lsn: 40, now: 2)
        #expect(buffer.locate(30, day: 1) == .buffered)
        let outcome = buffer.endSeal()
        #expect(outcome.deleted == [20, 30])
        #expect(!outcome.truncated)
        #expect(!buffer.isSealing)
        #expect(buffer.oldestUnsealedLSN == 40)
        #expect(buffer.locate(10, day: 1) == nil)
    }

    @Test func truncationDuringASealCancelsItsInstall() {
        var buffer = RealtimeBuffer()
        buffer.insert(document(1), day: 1, lsn: 1, now: 1)
        _ = buffer.beginSeal()
        buffer.removeAll()
        #expect(buffer.endSeal().truncated)
    }

    @Test func aFailedSealGivesItsDocumentsBack() {
        var buffer = RealtimeBuffer()
        for id: UInt64 in [1, 2, 3] { buffer.insert(document(id), day: 1, lsn: 5 + id, now: 1) }
        let work = buffer.beginSeal()
        do {
            let result = buffer.remove(2, day: 1)
            #expect(result)
        }
        buffer.abortSeal(work, now: 9)
        #expect(!buffer.isSealing)
        #expect(buffer.count == 2)
        #expect(buffer.locate(1, day: 1) == .buffered && buffer.locate(2, day: 1) == nil)
        #expect(buffer.oldestUnsealedLSN == 6)
    }

    @Test func retentionDropsADay() {
        var buffer = RealtimeBuffer()
        buffer.insert(document(1), day: 1, lsn: 1, now: 1)
        buffer.insert(document(2), day: 2, lsn: 2, now: 1)
        buffer.removeDay(1)
        #expect(buffer.count == 1 && buffer.bytes == document(2).bufferCost)
        #expect(buffer.dayNumbers == [2])
    }
}
