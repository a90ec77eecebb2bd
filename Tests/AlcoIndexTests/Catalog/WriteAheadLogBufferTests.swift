import Foundation
import Testing

@testable import AlcoIndex

/// The log writes each flush's records from a buffer kept from the flush before: records of
/// every size, flushed one group after another, must come back from the files whole and in order.
struct WriteAheadLogBufferTests {
    @Test func recordsWrittenThroughReusedBuffersReplayWholeAndInOrder() throws {
        let dir = TemporaryDirectory()
        let wal = try WriteAheadLog(
            directory: dir.path, lastLSN: 0, syncEnabled: false, syncTimer: IndexMetrics(index: "t").walSync)
        // Small and large groups in turn: a buffer kept from a large flush then holds a small
        // one, and the other way round.
        let sizes = [3, 5000, 2, 20_000, 1, 7000, 40, 3]
        var written: [[Document]] = []
        var next: UInt64 = 1
        for (k, size) in sizes.enumerated() {
            let docs = (0..<size).map { i -> Document in
                defer { next += 1 }
                return Document(id: next, logline: "group \(k) line \(i) " + String(repeating: "x", count: i % 97), js: "{\"k\":\(k)}")
            }
            let lsn = wal.enqueue(.insert(docs))
            try wal.waitDurable(lsn)
            written.append(docs)
        }
        wal.close()
        var replayed: [[Document]] = []
        let report = try WriteAheadLog.replay(directory: dir.path, after: 0) { _, record in
            guard case .insert(let docs) = record else { Issue.record("unexpected record \(record)"); return }
            replayed.append(docs)
        }
        #expect(report.records == sizes.count)
        #expect(replayed.map(\.count) == sizes)
        for (a, b) in zip(written, replayed) {
            #expect(a.map(\.id) == b.map(\.id))
            #expect(a.map(\.logline) == b.map(\.logline))
            #expect(a.map(\.js) == b.map(\.js))
        }
    }
}
