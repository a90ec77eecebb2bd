import AlcoIndex
import Foundation
import Testing

/// kill -9 at random instants while a child process appends: every batch whose append returned
/// (and was acknowledged on stdout) must be there after reopening, and no batch is half there.
@Suite(.serialized) struct CrashTests {
    @Test func killNineLosesNothingAcknowledged() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SystemRandomNumberGenerator()
        var next = 0
        var acked = Set<Int>()
        let batchSize = 50
        for round in 0..<20 {
            let child = try CLI.spawn(
                CLI.binary,
                [
                    "torture-writer", "--data", dir, "--start", String(next),
                    "--batch-size", String(batchSize),
                ])
            let lifetime = UInt32.random(in: 150_000...900_000, using: &rng)
            usleep(lifetime)
            kill(child.pid, SIGKILL)
            let text = child.readAll()
            child.wait()
            var roundMax = next - 1
            for line in text.split(separator: "\n") where line.hasPrefix("ack ") {
                let k = Int(line.dropFirst(4))!
                acked.insert(k)
                roundMax = max(roundMax, k)
            }
            // The next writer starts past anything this one may have appended unacknowledged.
            next = roundMax + 2

            var options = EngineOptions()
            options.backgroundMaintenance = false
            let catalog = try Catalog(directory: dir, options: options)
            guard let index = catalog.indexIfExists("crash") else {
                #expect(acked.isEmpty, "round \(round): index missing after acks")
                try catalog.close()
                continue
            }
            var r = SearchRequest(limit: 0, countTotal: true, groupBy: "batch")
            r.limit = 1_000_000
            r.maxMatches = 1_000_000
            let groups = try index.search(r).groups
            var counts: [Int: Int] = [:]
            for g in groups { if let v = g.value, let k = Int(v) { counts[k] = g.count } }
            for k in acked {
                #expect(counts[k] == batchSize, "round \(round): acknowledged batch \(k) has \(counts[k] ?? 0) of \(batchSize) docs")
            }
            for (k, c) in counts {
                #expect(c == batchSize, "round \(round): batch \(k) is partial (\(c) docs)")
            }
            #expect(index.problems.allSatisfy { !$0.contains("not loaded") }, "round \(round): \(index.problems)")
            try catalog.close()
        }
        #expect(acked.count > 20, "the writer acknowledged too few batches to mean anything")
    }
}
