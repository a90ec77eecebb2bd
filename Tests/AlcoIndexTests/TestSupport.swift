import Foundation

@testable import AlcoIndex

/// A fresh temporary directory, removed when the value is dropped.
final class TemporaryDirectory {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "alco-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func testOptions(background: Bool = false) -> EngineOptions {
    var o = EngineOptions()
    o.backgroundMaintenance = background
    o.syncWrites = false
    return o
}

let day1: Int64 = 1_764_028_800_000_000  // 2025-11-25 00:00:00 UTC in µs

func doc(_ line: String, at us: Int64, _ js: [(String, JSONValue)] = []) -> NewDocument {
    NewDocument(microseconds: us, logline: line, js: .object(js))
}
