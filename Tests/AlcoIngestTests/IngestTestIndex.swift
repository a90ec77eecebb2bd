import AlcoIndex
import Foundation

@testable import AlcoIngest

/// A real index in a temporary directory with a rejects store beside it, for tests that feed
/// lines through the ingest path (no background maintenance, no fsync); removed at deinit.
class IngestTestIndex {
    let dir = NSTemporaryDirectory() + "alco-ingest-" + UUID().uuidString
    let catalog: Catalog
    let index: LogIndex
    let rejects: RejectStore

    init(name: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var options = EngineOptions()
        options.backgroundMaintenance = false
        options.syncWrites = false
        catalog = try Catalog(directory: dir + "/data", options: options)
        var settings = IndexSettings(name: name)
        settings.retentionDays = 100_000
        index = try catalog.createIndex(settings)
        rejects = try RejectStore(directory: dir + "/rejects")
    }

    deinit {
        try? catalog.close()
        try? FileManager.default.removeItem(atPath: dir)
    }
}
