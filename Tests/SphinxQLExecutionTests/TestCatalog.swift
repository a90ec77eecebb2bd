import AlcoIndex
import Foundation

/// A catalog in a fresh temporary directory (no background work, no fsync), removed after `body`.
func withTestCatalog(indexes: [String] = ["logs"], _ body: (Catalog) throws -> Void) throws {
    let dir = NSTemporaryDirectory() + "alco-server-test-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var options = EngineOptions()
    options.backgroundMaintenance = false
    options.syncWrites = false
    let catalog = try Catalog(directory: dir, options: options)
    for name in indexes { try catalog.createIndex(IndexSettings(name: name)) }
    try body(catalog)
    try catalog.close()
}
