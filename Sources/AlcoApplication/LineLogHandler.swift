import AlcoIndex
import AlcoIngest
import Foundation
import Logging

/// Log lines as `alco serve` prints them, one write per line (lines from several threads never
/// interleave), warnings and worse on stderr, the rest on stdout. As text: `alco: <message>`
/// with any metadata after it as `key=value`. As JSON (`--log-format json`): one object per
/// line with `@timestamp`, `levelname`, `logger`, `message` and the metadata as fields, the
/// shape of a logstash line, so a shipper (or alco itself) can collect them.
public struct LineLogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public let format: Format
    let label: String

    public init(level: Logger.Level = .info, format: Format = .text, label: String = "alco") {
        logLevel = level
        self.format = format
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // The handler's, then the provider's (task-local context), then the call's.
        let all = metadata.merging(metadataProvider?.get() ?? [:]) { $1 }.merging(event.metadata ?? [:]) { $1 }
        let line: [UInt8]
        switch format {
        case .text:
            var text = "alco: \(event.message)"
            // One line per event: a statement's text may hold newlines.
            for key in all.keys.sorted() { text += " \(key)=" + "\(all[key]!)".replacingOccurrences(of: "\n", with: "\\n") }
            line = Array((text + "\n").utf8)
        case .json:
            line = LineLogHandler.json(event.level, "\(event.message)", all, label: label, at: Date())
        }
        let out = event.level >= .warning ? FileHandle.standardError : FileHandle.standardOutput
        out.write(Data(line))
    }

    /// One JSON log line. Metadata keys that would shadow the line's own are kept as `<key>_x`.
    static func json(_ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata, label: String, at date: Date) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        func member(_ key: String, _ value: String) {
            if out.count > 1 { out.append(UInt8(ascii: ",")) }
            JSONValue.writeString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONValue.writeString(value, to: &out)
        }
        member("@timestamp", timestamp(date))
        member("levelname", levelName(level))
        member("logger", label)
        member("message", message)
        let own: Set<String> = ["@timestamp", "levelname", "logger", "message"]
        for key in metadata.keys.sorted() { member(own.contains(key) ? key + "_x" : key, "\(metadata[key]!)") }
        out.append(contentsOf: "}\n".utf8)
        return out
    }

    /// Python logging's names, which ALCO's UI and `levelname` filters know.
    static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: "DEBUG"
        case .info, .notice: "INFO"
        case .warning: "WARNING"
        case .error: "ERROR"
        case .critical: "CRITICAL"
        }
    }

    /// ISO 8601 in UTC with microseconds, as logstash writes `@timestamp`.
    static func timestamp(_ date: Date) -> String {
        let us = Int64((date.timeIntervalSince1970 * 1e6).rounded(.down))
        return Timestamps.format(microseconds: us, zone: TimeZone(identifier: "UTC")!).replacingOccurrences(of: " ", with: "T") + "Z"
    }
}
