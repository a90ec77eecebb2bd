import AlcoIndex  // as another package would: no @testable
import Foundation
import Testing

/// The README's example of embedding the engine, compiled and run here; the README must
/// show exactly this code (the test below compares them).
func readmeExample(directory: String) throws -> [String] {
    // BEGIN README EXAMPLE
    let catalog = try Catalog(directory: directory)
    let index = try catalog.indexIfExists("app") ?? catalog.createIndex(IndexSettings(name: "app"))
    let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
    try index.append([
        NewDocument(
            microseconds: now, logline: "payment 42 failed: card declined",
            js: .object([("host", .string("web1")), ("levelname", .string("ERROR"))])),
        NewDocument(microseconds: now + 1, logline: "payment 43 settled", js: .object([("host", .string("web2"))])),
    ])
    var request = SearchRequest(text: try QueryParser.parse("payment failed"), limit: 10)
    request.filter = .oneOf(key: "levelname", values: [.string("ERROR")])
    let found = try index.search(request).hits.map(\.logline)
    try catalog.close()
    // END README EXAMPLE
    return found
}

@Suite struct ReadmeExampleTests {
    @Test func theEngineEmbedsAsTheReadmeShows() throws {
        let dir = NSTemporaryDirectory() + "alco-embed-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try readmeExample(directory: dir) == ["payment 42 failed: card declined"])
    }

    @Test func theReadmeShowsThisCode() throws {
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOf: here, encoding: .utf8)
        func between(_ text: String, _ start: String, _ end: String) -> String? {
            guard let a = text.range(of: start), let b = text.range(of: end, range: a.upperBound..<text.endIndex) else { return nil }
            return String(text[a.upperBound..<b.lowerBound])
        }
        let code = try #require(between(source, "// BEGIN README EXAMPLE\n", "    // END README EXAMPLE"))
        let example = code.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasPrefix("    ") ? String($0.dropFirst(4)) : String($0) }
            .joined(separator: "\n")
        #expect(readme.contains(example), "README's embedding example differs from Tests/EmbeddingTests/ReadmeExampleTests.swift")
    }
}
