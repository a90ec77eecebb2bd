import Foundation
import Testing

@testable import AlcoIndex

/// The engine keeps other layers' settings and column flags without reading them: what an
/// earlier alco wrote into settings.json and columns.json (the queue binding, the UI's flags)
/// survives opening, altering and saving.
@Suite struct ApplicationSettingsTests {
    @Test func settingsKeepTheirApplicationKeysAcrossAlterAndReopen() throws {
        let dir = TemporaryDirectory()
        let written = #"{"name":"logs","retention_days":9,"queue":"q1","routing_keys":["a.#","b.*"],"durable":true,"consumers":3,"time_zone":"Europe/Moscow"}"#
        try FileManager.default.createDirectory(atPath: dir.path + "/indexes/logs", withIntermediateDirectories: true)
        try Data(written.utf8).write(to: URL(fileURLWithPath: dir.path + "/indexes/logs/settings.json"))
        do {
            let catalog = try Catalog(directory: dir.path, options: testOptions())
            let s = try catalog.index("logs").settings
            #expect(s.retentionDays == 9 && s.timeZone == "Europe/Moscow" && s.producerTimeZone == "UTC")
            #expect(s.application["queue"] == .string("q1"))
            #expect(s.application["routing_keys"] == .array([.string("a.#"), .string("b.*")]))
            #expect(s.application["durable"] == .bool(true))
            #expect(s.application["consumers"] == .number(text: "3"))
            #expect(s.application["name"] == nil && s.application["retention_days"] == nil)
            try catalog.alterIndex("logs") { $0.retentionDays = 10 }
            try catalog.close()
        }
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        defer { try? catalog.close() }
        let s = try catalog.index("logs").settings
        #expect(s.retentionDays == 10)
        #expect(s.application.keys.sorted() == ["consumers", "durable", "queue", "routing_keys"])
        #expect(s.application["queue"] == .string("q1"))
    }

    @Test func applicationValuesOfAnyShapeRoundTrip() throws {
        var s = IndexSettings(name: "x")
        s.application["nested"] = .object([("a", .array([.null, .bool(false), .number(text: "1.5"), .string("é")]))])
        s.application["big"] = .number(text: "9007199254740993")
        let decoded = try JSONDecoder().decode(IndexSettings.self, from: try JSONEncoder().encode(s))
        #expect(decoded == s)
    }

    @Test func columnsKeepTheUIFlagsTheyWereSavedWith() throws {
        let dir = TemporaryDirectory()
        do {
            let catalog = try Catalog(directory: dir.path, options: testOptions())
            let index = try catalog.createIndex(IndexSettings(name: "logs"))
            try index.columns.declare("host") { $0.applicationFlags["display"] = true }
            try index.columns.declare("traceback") { $0.excluded = true }
            try catalog.close()
        }
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        defer { try? catalog.close() }
        let columns = try catalog.index("logs").columns
        #expect(columns.column("host")?.applicationFlags == ["display": true])
        #expect(columns.column("host")?.filtered == true)
        // Long text is not offered as a filter, and nothing is said about its UI flags.
        let traceback = try #require(columns.column("traceback"))
        #expect(!traceback.filtered && traceback.excluded && traceback.applicationFlags.isEmpty)
        #expect(columns.excludedKeys == ["traceback"])
    }
}
