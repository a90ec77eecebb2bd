import AlcoIndex
import Testing

@testable import AlcoIngest

/// The collector's queue binding is read from and written into an index's settings, checked
/// both ways.
@Suite struct QueueBindingTests {
    @Test func settingsWithoutABindingGetALCOsDefaults() throws {
        let b = try QueueBinding(IndexSettings(name: "logs"))
        #expect(b == QueueBinding(queue: "logstash", routingKeys: ["logstash.#"], durable: false, consumers: nil))
    }

    @Test func aStoredBindingReadsBackAndLeavesTheEngineSettingsAlone() throws {
        var s = IndexSettings(name: "logs", retentionDays: 7)
        let b = QueueBinding(queue: "app", routingKeys: ["logstash.app.#", "other"], durable: true, consumers: 4)
        try b.store(in: &s)
        #expect(try QueueBinding(s) == b)
        #expect(s.retentionDays == 7 && s.name == "logs")
        // Back to the server's default consumer count.
        var fewer = b
        fewer.consumers = nil
        try fewer.store(in: &s)
        #expect(try QueueBinding(s).consumers == nil)
    }

    @Test func wrongTypesInSettingsAreErrorsThatNameTheKey() {
        let cases: [(String, JSONValue, String)] = [
            ("queue", .number(text: "5"), "queue must be a string"),
            ("routing_keys", .array([.string("a"), .bool(true)]), "routing_keys must be a list of strings"),
            ("durable", .string("yes"), "durable must be true or false"),
            ("consumers", .number(text: "2.5"), "consumers must be a whole number"),
            ("consumers", .number(text: "65"), "consumers must be from 1 to 64"),
            ("queue", .string(""), "queue must be a name of 1 to 255 bytes"),
        ]
        for (key, value, message) in cases {
            let s = IndexSettings(name: "logs", application: [key: value])
            #expect(throws: AlcoError.self, "\(key)=\(value)") { try QueueBinding(s) }
            do {
                _ = try QueueBinding(s)
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
    }

    @Test func bindingsOutOfBoundsAreNotStored() {
        var s = IndexSettings(name: "logs")
        for bad in [
            QueueBinding(consumers: 0), QueueBinding(queue: String(repeating: "q", count: 256)),
            QueueBinding(routingKeys: [String(repeating: "k", count: 256)]),
        ] {
            #expect(throws: AlcoError.self) { try bad.store(in: &s) }
        }
        #expect(s.application.isEmpty)
    }
}
