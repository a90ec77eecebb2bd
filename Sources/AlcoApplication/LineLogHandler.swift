import Foundation
import Logging

/// Log lines as `alco serve` prints them: `alco: <message>` with any metadata after it as
/// `key=value`, one write per line (lines from several threads never interleave); warnings
/// and worse on stderr, the rest on stdout.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(level: Logger.Level = .info) { logLevel = level }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var text = "alco: \(event.message)"
        // The handler's, then the provider's (task-local context), then the call's.
        let all = metadata.merging(metadataProvider?.get() ?? [:]) { $1 }.merging(event.metadata ?? [:]) { $1 }
        for key in all.keys.sorted() { text += " \(key)=\(all[key]!)" }
        let out = event.level >= .warning ? FileHandle.standardError : FileHandle.standardOutput
        out.write(Data((text + "\n").utf8))
    }
}
