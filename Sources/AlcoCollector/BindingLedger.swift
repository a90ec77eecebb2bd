import AlcoIndex
import Foundation

/// Remembers which routing keys the collector bound for an index, so keys removed from the
/// settings are unbound on the next start (AMQP cannot list a queue's bindings).
enum BindingLedger {
    static func path(_ index: LogIndex) -> String { index.directory + "/amqp-bindings.json" }

    static func unbindStale(index: LogIndex, exchange: String, current: [String], unbind: (String) throws -> Void) throws {
        let file = path(index)
        var previous: [String] = []
        if let data = FileManager.default.contents(atPath: file),
            let saved = try? JSONDecoder().decode([String: [String]].self, from: data)
        {
            previous = saved[exchange] ?? []
        }
        for key in previous where !current.contains(key) { try unbind(key) }
        if previous != current {
            let data = try JSONEncoder().encode([exchange: current])
            try FileSystem.writeAtomically(file, Array(data))
        }
    }
}
