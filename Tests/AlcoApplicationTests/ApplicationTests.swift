import AlcoIndex
import Foundation
import Logging
import Testing

@testable import AlcoApplication

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The application `alco serve` runs, built from settings and run as one service group: its
/// listeners answer, what it stored survives the graceful shutdown, and a part that cannot
/// start leaves nothing running and the data directory free.
@Suite struct ApplicationTests {
    let logger = Logger(label: "alco.test") { _ in SwiftLogNoOpLogHandler() }

    func settings(_ dir: String) -> ApplicationSettings {
        ApplicationSettings(data: dir, mysqlListen: "127.0.0.1:0", queryTimeoutMs: 0, httpListen: "127.0.0.1:0")
    }

    @Test func servesBothProtocolsAndFlushesOnShutdown() async throws {
        let dir = NSTemporaryDirectory() + "alco-app-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var s = settings(dir)
        s.indexes = [IndexDeclaration(name: "logs")]
        let app = try await buildApplication(s, logger: logger)
        let running = Task { try await app.run() }
        let httpPort = try #require(app.httpPort)
        let mysqlPort = try #require(app.mysqlPort)

        // JSON lines over HTTP, stored before the answer.
        var post = URLRequest(url: URL(string: "http://127.0.0.1:\(httpPort)/api/v1/ingest/logs")!)
        post.httpMethod = "POST"
        post.httpBody = Data(
            (0..<100).map { #"{"message":"line \#($0) of the app test","@timestamp":"2026-11-25T10:00:00Z"}"# }
                .joined(separator: "\n").utf8)
        let (body, response) = try await URLSession.shared.data(for: post)
        #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: body, as: UTF8.self))")
        #expect(String(decoding: body, as: UTF8.self).contains(#""stored":100"#))

        // The SphinxQL listener greets as MySQL protocol 10 with the version the settings name.
        let greeting = try readGreeting(port: mysqlPort)
        #expect(greeting.count > 5 && greeting[4] == 10)
        #expect(String(decoding: greeting.dropFirst(5).prefix(while: { $0 != 0 }), as: UTF8.self) == s.serverVersion)

        await app.triggerShutdown()
        try await running.value
        // Closed: the directory's lock is free and every line is there.
        let catalog = try Catalog(directory: dir, options: EngineOptions())
        defer { try? catalog.close() }
        let found = try catalog.index("logs").search(SearchRequest(text: try QueryParser.parse("app"), limit: 0, countTotal: true))
        #expect(found.totalFound == 100)
    }

    @Test func aPartThatCannotStartLeavesNothingRunning() async throws {
        let dir = NSTemporaryDirectory() + "alco-app-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Take a port, then ask the application's HTTP listener for it.
        let first = try await buildApplication(settings(dir + "/a"), logger: logger)
        var s = settings(dir + "/b")
        s.httpListen = "127.0.0.1:\(first.httpPort!)"
        await #expect(throws: StartFailure.self) { try await buildApplication(s, logger: logger) }
        // The failed one let go of its data directory and its MySQL port.
        let again = try Catalog(directory: dir + "/b", options: EngineOptions())
        try again.close()
        // A shutdown asked for before the group runs still stops every part.
        await first.triggerShutdown()
        try await first.run()
    }

    /// The first packet a MySQL server sends on a new connection.
    func readGreeting(port: Int) throws -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = recv(fd, &buffer, buffer.count, 0)
        return Array(buffer.prefix(max(0, n)))
    }
}
