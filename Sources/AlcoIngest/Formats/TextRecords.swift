import AlcoIndex
import Foundation

/// Which lines begin a record; the others continue the one before (a stack trace stays with
/// its error line).
public enum MultilineRule: Sendable {
    /// With a format, a line that does not match it continues the record before; without one,
    /// indented lines and the lines of Java and Python tracebacks do.
    case auto
    /// Every line is a record.
    case none
    /// A record begins with a line matching this pattern (at its start).
    case firstLine(LinePattern)

    public init(_ text: String) throws {
        switch text {
        case "auto": self = .auto
        case "none": self = .none
        default: self = .firstLine(try LinePattern(text))
        }
    }
}

/// Turns the lines of one text stream into records: the time, level and fields each line's
/// format gives it, continuation lines joined to their record, lines without a time of their
/// own at the time of the record before them (at first, the stream's reference time: a file's
/// modification time, never the moment it is read).
public struct TextRecords {
    public let format: LogFormat?
    let multiline: MultilineRule
    let maxRecordBytes: Int
    /// Fields every record gets (the file it came from, a shipper's static fields).
    let extra: [(key: String, value: JSONValue)]
    private var resolver: TimeResolver
    private var last: Int64
    private var spans: [Int64] = []
    private var pending: Pending?
    /// Lines joined to a record at most; the next line then starts a new one.
    static let maxRecordLines = 100_000

    struct Pending {
        var text: String
        var microseconds: Int64
        /// The record's js, written as its members are found.
        var js: String
        var lines: Int
        var firstLine: Int
        /// Where the message begins after the header the format matched (UTF-8 bytes).
        var messageOffset = 0
    }

    /// A js object written member by member.
    struct JSWriter {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        var keys: [String] = []

        mutating func add(_ key: String, string value: String) {
            begin(key)
            JSONValue.writeString(value, to: &bytes)
        }

        mutating func add(_ key: String, number digits: UnsafeRawBufferPointer) {
            begin(key)
            bytes.append(contentsOf: digits)
        }

        mutating func add(_ key: String, _ value: JSONValue) {
            begin(key)
            value.write(to: &bytes)
        }

        private mutating func begin(_ key: String) {
            // `pattern` is the engine's to write (the message pattern), as in LogstashDecoder.
            let key = key.utf8.count == 7 && key == "pattern" ? "pattern_x" : key
            if keys.count > 0 { bytes.append(UInt8(ascii: ",")) }
            keys.append(key)
            JSONValue.writeString(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
        }

        func has(_ key: String) -> Bool { keys.contains(key) }

        mutating func finish() -> String {
            bytes.append(UInt8(ascii: "}"))
            return keys.isEmpty ? "{}" : String(decoding: bytes, as: UTF8.self)
        }
    }

    public init(
        format: LogFormat?, multiline: MultilineRule, zone: TimeZone, referenceMicroseconds: Int64,
        extra: [(key: String, value: JSONValue)] = [], maxRecordBytes: Int = 16 << 20
    ) {
        self.format = format
        self.multiline = multiline
        self.extra = extra
        self.maxRecordBytes = maxRecordBytes
        resolver = TimeResolver(zone: zone, referenceMicroseconds: referenceMicroseconds)
        last = referenceMicroseconds
    }

    /// The record this line completes, if it begins a new one. `text` is the line's bytes
    /// as UTF-8 (checked by the caller); `number` its line number.
    public mutating func add(_ line: UnsafeRawBufferPointer, text: String, number: Int) -> (document: NewDocument, firstLine: Int)? {
        var matched = false
        if let format { matched = format.pattern.match(line, into: &spans) }
        if var p = pending, !startsRecord(line, text: text, matched: matched),
            p.lines < TextRecords.maxRecordLines, p.text.utf8.count + 1 + line.count <= maxRecordBytes
        {
            pending = nil
            p.text += "\n"
            p.text += text
            p.lines += 1
            pending = p
            return nil
        }
        let done = pending.map(document)
        pending = begin(line, text: text, matched: matched, number: number)
        return done
    }

    /// The first line of the record still open (more lines may join it), if any.
    public var pendingFirstLine: Int? { pending?.firstLine }

    /// For a stream being followed as it is written: lines with no time of their own take at
    /// least this time (when they were read), not the file's time when following began.
    public mutating func advanceReference(to microseconds: Int64) {
        if format == nil || format?.timeGroup == nil { last = max(last, microseconds) }
    }

    /// The last record.
    public mutating func finish() -> (document: NewDocument, firstLine: Int)? {
        defer { pending = nil }
        return pending.map(document)
    }

    private func document(_ p: Pending) -> (document: NewDocument, firstLine: Int) {
        var doc = NewDocument(microseconds: p.microseconds, logline: p.text, jsText: p.js)
        doc.messageOffset = p.messageOffset
        return (doc, p.firstLine)
    }

    private func startsRecord(_ line: UnsafeRawBufferPointer, text: String, matched: Bool) -> Bool {
        switch multiline {
        case .none: return true
        case .firstLine(let pattern):
            var s: [Int64] = []
            return pattern.match(line, into: &s)
        case .auto:
            if format != nil { return matched }
            return !TextRecords.continues(line, text: text)
        }
    }

    /// A line that continues a record in a log without a known format: indented, or a
    /// traceback's own lines.
    static func continues(_ line: UnsafeRawBufferPointer, text: String) -> Bool {
        guard let first = line.first else { return false }
        if first == 0x20 || first == 0x09 { return true }
        return text.hasPrefix("Traceback (most recent call last):") || text.hasPrefix("Caused by: ")
            || text.hasPrefix("During handling of the above exception") || text.hasPrefix("The above exception was the direct cause")
            || (text.hasPrefix("... ") && text.hasSuffix(" more"))
    }

    private mutating func begin(_ line: UnsafeRawBufferPointer, text: String, matched: Bool, number: Int) -> Pending {
        var js = JSWriter()
        var micros = last
        if let format, matched {
            func group(_ g: Int?) -> UnsafeRawBufferPointer? {
                guard let g, 2 * g + 1 < spans.count, spans[2 * g] >= 0 else { return nil }
                return UnsafeRawBufferPointer(rebasing: line[Int(spans[2 * g])..<Int(spans[2 * g + 1])])
            }
            if let time = group(format.timeGroup) {
                var parsed: TimeLayout.Parsed?
                if let date = group(format.dateGroup) {
                    let joined = Array(date) + [0x20] + Array(time)
                    parsed = joined.withUnsafeBytes { b in format.layouts.lazy.compactMap { $0.parse(b) }.first }
                } else {
                    for layout in format.layouts {
                        parsed = layout.parse(time)
                        if parsed != nil { break }
                    }
                }
                if let parsed, let t = resolver.microseconds(parsed), DocumentID.canHold(microseconds: t) { micros = t }
            }
            if let written = group(format.levelGroup).map({ String(decoding: $0, as: UTF8.self) }), !written.isEmpty {
                let level = LogLevel.normalized(Substring(written))
                if let level { js.add("levelname", string: level) }
                // The level as written, when the normalised one says it otherwise.
                if level != written { js.add("level", string: written) }
            } else if let pri = group(format.priorityGroup).flatMap({ Int(String(decoding: $0, as: UTF8.self)) }) {
                js.add("levelname", string: LogLevel.fromPriority(pri))
            }
            for (g, name) in format.fields {
                guard let bytes = group(g), !bytes.isEmpty, !(bytes.count == 1 && bytes[0] == UInt8(ascii: "-")) else { continue }
                // All digits (and no leading zero, which a number would lose): a number.
                if bytes.count <= 15, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), bytes.count == 1 || bytes[0] != 0x30 {
                    js.add(name, number: bytes)
                } else {
                    js.add(name, string: String(decoding: bytes, as: UTF8.self))
                }
            }
        }
        for f in extra where !js.has(f.key) { js.add(f.key, f.value) }
        last = micros
        let header = format != nil && matched && spans.count >= 2 ? Int(max(0, spans[1])) : 0
        return Pending(text: text, microseconds: micros, js: js.finish(), lines: 1, firstLine: number, messageOffset: header)
    }
}

/// Which format a stream is in, from a sample of its first lines.
public enum FormatDetector {
    /// The format whose pattern matches the most of `lines` with a time it can read (at
    /// least one); the earlier format on a tie. Nil when none matches any line.
    public static func detect(_ lines: [[UInt8]], among formats: [LogFormat]) -> LogFormat? {
        var best: (format: LogFormat, score: Int)?
        var spans: [Int64] = []
        for format in formats {
            var score = 0
            for line in lines {
                line.withUnsafeBytes { b in
                    guard format.pattern.match(b, into: &spans) else { return }
                    if let g = format.timeGroup, spans[2 * g] >= 0, format.dateGroup == nil {
                        let time = UnsafeRawBufferPointer(rebasing: b[Int(spans[2 * g])..<Int(spans[2 * g + 1])])
                        guard format.layouts.contains(where: { $0.parse(time) != nil }) else { return }
                    }
                    score += 1
                }
            }
            if score > (best?.score ?? 0) { best = (format, score) }
        }
        return best?.format
    }
}
