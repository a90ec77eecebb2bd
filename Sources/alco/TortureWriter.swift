import AlcoIndex
import ArgumentParser
import Foundation

/// Appends numbered batches and prints `ack N` after each append returns, so a test can kill
/// the process at any instant and check that every acknowledged batch survived.
struct TortureWriter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "torture-writer", abstract: "Crash-test helper: append numbered batches forever.",
        shouldDisplay: false)

    @OptionGroup var data: DataOptions
    @Option var index: String = "crash"
    @Option var start: Int = 0
    @Option var batches: Int = 1_000_000
    @Option var batchSize: Int = 50
    @Option var persistBytes: Int = 64 << 10
    @Option var maxSegmentDocs: Int = 300

    func run() throws {
        var options = EngineOptions()
        options.persistThresholdBytes = persistBytes
        options.maxSegmentDocs = maxSegmentDocs
        options.sealThresholdDocs = 200
        options.sealIntervalMilliseconds = 20
        options.mergeFactor = 3
        options.maintenanceIntervalMilliseconds = 10
        try reportingErrors {
            let catalog = try Catalog(directory: data.directory, options: options)
            let target = try catalog.indexIfExists(index) ?? catalog.createIndex(IndexSettings(name: index))
            for k in start..<(start + batches) {
                let docs = (0..<batchSize).map { j in
                    NewDocument(
                        logline: "torture batch_\(k) doc \(j) payload \(String(repeating: "x", count: j % 17))",
                        js: .object([("batch", .number(text: String(k))), ("j", .number(text: String(j)))]))
                }
                try target.append(docs)
                FileHandle.standardOutput.write(Data("ack \(k)\n".utf8))
                if k % 7 == 0 { _ = try target.search(SearchRequest(text: .term("batch_\(k)", fields: .all, match: .exact))) }
            }
            try catalog.close()
        }
    }
}
