import AlcoIndex
import Foundation

/// Why a message could not be stored.
public enum RejectReason: String, Sendable, CaseIterable, Codable {
    case malformedJSON = "malformed_json"
    case notAnObject = "not_an_object"
    case missingTimestamp = "missing_timestamp"
    case badTimestamp = "bad_timestamp"
    case tooLarge = "too_large"
    case invalidUTF8 = "invalid_utf8"
}

public struct Rejection: Error, Sendable {
    public var reason: RejectReason
    public var detail: String
}

/// Turns a logstash/logcollect JSON message into a document, the way ALCO's collector did:
/// `@timestamp`, `@version`, `message` and `seq` are taken out, keys that collide with
/// reserved names get a `_x` suffix, and everything else becomes `js`.
public struct LogstashDecoder: Sendable {
    /// ALCO's own columns, and `pattern`, which the engine writes (a producer's goes to `pattern_x`).
    public static let reservedNames: Set<String> = ["pk", "id", "ts", "ms", "seq", "model", "pattern"]
    static let longestReserved = reservedNames.map(\.utf8.count).max() ?? 0
    static let versionKey = Array("@version".utf8)
    static let seqKey = Array("seq".utf8)
    static let reservedKeys = reservedNames.map { Array($0.utf8) }

    /// Whether `key` is spelled exactly `name` (memcmp: every key of every message is
    /// compared with several names).
    @inline(__always)
    static func same(_ key: UnsafeRawBufferPointer, _ name: [UInt8]) -> Bool {
        key.count == name.count && name.withUnsafeBytes { memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }
    }

    /// A JSON value; a string without escapes (most messages) is taken straight from its bytes.
    static func value(_ raw: UnsafeRawBufferPointer) -> JSONValue? {
        if let text = plainString(raw) { return .string(String(decoding: text, as: UTF8.self)) }
        return try? JSONParser.parse(raw)
    }

    /// The inside of a JSON string literal without escapes (read as is), else nil.
    static func plainString(_ raw: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        // memchr: messages are long, and a byte loop over each was ~1,000 instructions a line.
        guard raw.count >= 2, raw.first == UInt8(ascii: "\""), raw.last == UInt8(ascii: "\""),
            memchr(raw.baseAddress!, 0x5C, raw.count) == nil  // no backslash
        else { return nil }
        return UnsafeRawBufferPointer(rebasing: raw.dropFirst().dropLast())
    }

    /// `{"key":value,...}` from the members' ranges, written once into the string.
    static func jsText(
        _ members: [(key: Range<Int>, value: Range<Int>, renamed: Bool)], bytes: UnsafeRawBufferPointer, renamedKeys: [UInt8], count: Int
    ) -> String {
        renamedKeys.withUnsafeBytes { renamed in
            String(unsafeUninitializedCapacity: count) { out in
                let o = UnsafeMutableRawPointer(out.baseAddress!)
                func put(_ r: Range<Int>, of source: UnsafeRawBufferPointer, at: inout Int) {
                    if !r.isEmpty { (o + at).copyMemory(from: source.baseAddress! + r.lowerBound, byteCount: r.count) }
                    at += r.count
                }
                var at = 1
                out[0] = UInt8(ascii: "{")
                for (k, m) in members.enumerated() {
                    if k > 0 { (out[at], at) = (UInt8(ascii: ","), at + 1) }
                    put(m.key, of: m.renamed ? renamed : bytes, at: &at)
                    (out[at], at) = (UInt8(ascii: ":"), at + 1)
                    put(m.value, of: bytes, at: &at)
                }
                out[at] = UInt8(ascii: "}")
                return at + 1
            }
        }
    }

    /// What a key written with escapes spells.
    static func decodedKey(_ bytes: UnsafeRawBufferPointer, _ key: Range<Int>) -> String? {
        (try? JSONParser.parse(UnsafeRawBufferPointer(rebasing: bytes[(key.lowerBound - 1)..<(key.upperBound + 1)])))?.stringValue
    }
    public var messageField = "message" { didSet { messageKey = Array(messageField.utf8) } }
    public var timeField = "@timestamp" { didSet { timeKey = Array(timeField.utf8) } }
    /// The two names as bytes, compared with every key of every message.
    private var messageKey = Array("message".utf8)
    private var timeKey = Array("@timestamp".utf8)
    /// Zone of times without an offset (and of logcollect's literal Z).
    public var producerZone: TimeZone { didSet { producerOffset = Timestamps.fixedOffset(of: producerZone) } }
    private var producerOffset: Int?
    /// Largest accepted message in bytes.
    public var maxBytes = 1 << 20
    /// When false, a message without a time is stamped now instead of rejected.
    public var requireTimestamp = true

    public init(producerZone: TimeZone = TimeZone(identifier: "UTC")!) {
        self.producerZone = producerZone
        producerOffset = Timestamps.fixedOffset(of: producerZone)
    }

    /// Decodes one message. Values of `js` keep their bytes exactly as the producer sent them.
    public func decode(_ bytes: UnsafeRawBufferPointer, now: Int64) -> Result<NewDocument, Rejection> {
        guard bytes.count <= maxBytes else {
            return .failure(Rejection(reason: .tooLarge, detail: "message of \(bytes.count) bytes exceeds \(maxBytes)"))
        }
        // Checked once here: decoding invalid UTF-8 would store U+FFFD, not what was sent.
        guard UTF8Check.isValid(bytes) else {
            return .failure(Rejection(reason: .invalidUTF8, detail: "the message is not valid UTF-8"))
        }
        // One pass over the members, locating them all: js's are written once the whole object
        // is known to be valid JSON, and the time, the message and seq read then.
        var timeRange: Range<Int>?
        var messageRange: Range<Int>?
        var seqRange: Range<Int>?
        // js's members: the key (quotes included) and value ranges in `bytes`, or a renamed
        // key's range in `renamedKeys`.
        var members: [(key: Range<Int>, value: Range<Int>, renamed: Bool)] = []
        members.reserveCapacity(16)
        var renamedKeys: [UInt8] = []
        var jsBytes = 2  // the braces
        let (timeKey, messageKey) = (self.timeKey, self.messageKey)
        let (versionKey, seqKey, reservedKeys) = (LogstashDecoder.versionKey, LogstashDecoder.seqKey, LogstashDecoder.reservedKeys)
        let longestReserved = LogstashDecoder.longestReserved
        do {
            try JSONScanner.forEachTopLevelMember(bytes) { keyRange, valueRange in
                let key = UnsafeRawBufferPointer(rebasing: bytes[keyRange])
                // A key written with escapes is compared by what it spells.
                let plain = key.isEmpty || memchr(key.baseAddress!, 0x5C, key.count) == nil
                let spelled: String? = plain ? nil : LogstashDecoder.decodedKey(bytes, keyRange)
                func isKey(_ name: [UInt8], _ text: String) -> Bool { plain ? LogstashDecoder.same(key, name) : spelled == text }
                if isKey(timeKey, timeField) {
                    timeRange = valueRange
                } else if isKey(messageKey, messageField) {
                    messageRange = valueRange
                } else if isKey(versionKey, "@version") {
                    return
                } else if isKey(seqKey, "seq") {
                    seqRange = valueRange
                } else {
                    let reserved =
                        plain
                        ? key.count <= longestReserved && reservedKeys.contains { LogstashDecoder.same(key, $0) }
                        : LogstashDecoder.reservedNames.contains(spelled ?? "")
                    var keyBytes = (keyRange.lowerBound - 1)..<(keyRange.upperBound + 1)  // as sent, quotes included
                    if reserved {
                        let start = renamedKeys.count
                        JSONValue.writeString((spelled ?? String(decoding: key, as: UTF8.self)) + "_x", to: &renamedKeys)
                        keyBytes = start..<renamedKeys.count
                    }
                    jsBytes += (members.isEmpty ? 0 : 1) + keyBytes.count + 1 + valueRange.count
                    members.append((keyBytes, valueRange, reserved))
                }
            }
        } catch let e as JSONParseError {
            let first = bytes.first { $0 != 0x20 && $0 != 0x09 }
            if first != UInt8(ascii: "{"), (try? JSONParser.parse(bytes)) != nil {
                return .failure(Rejection(reason: .notAnObject, detail: "a log message must be a JSON object"))
            }
            return .failure(Rejection(reason: .malformedJSON, detail: e.description))
        } catch {
            return .failure(Rejection(reason: .malformedJSON, detail: "\(error)"))
        }
        var micros: Int64?
        let sawTime = timeRange != nil
        if let timeRange {
            let raw = UnsafeRawBufferPointer(rebasing: bytes[timeRange])
            if let text = LogstashDecoder.plainString(raw) {
                // The usual case, read in place.
                micros = Timestamps.parseISO(text, zone: producerZone, fixedOffset: producerOffset)
            } else {
                switch LogstashDecoder.value(raw) {
                case .string(let s): micros = Timestamps.parseISO(s, zone: producerZone)
                case .number(let t): micros = Double(t).flatMap(Timestamps.fromEpoch)
                default: micros = nil
                }
            }
            guard let us = micros else {
                return .failure(Rejection(reason: .badTimestamp, detail: "unusable \(timeField): \(String(decoding: raw, as: UTF8.self))"))
            }
            // Ids are µs × 1000 in 64 bits: a time past 2554 (or before 1970) would wrap to another.
            guard DocumentID.canHold(microseconds: us) else {
                return .failure(
                    Rejection(
                        reason: .badTimestamp,
                        detail: "\(timeField) \(String(decoding: raw, as: UTF8.self)) is outside the times alco stores (1970-01-01 to 2554-07-21)"))
            }
        }
        var message = ""
        if let messageRange {
            let raw = UnsafeRawBufferPointer(rebasing: bytes[messageRange])
            if let text = LogstashDecoder.plainString(raw) {
                message = String(decoding: text, as: UTF8.self)
            } else {
                switch LogstashDecoder.value(raw) {
                case .string(let s): message = s
                case .null, nil: break
                case .some(let v): message = v.serialized()
                }
            }
        }
        let seq = seqRange.flatMap { UInt64(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[$0]), as: UTF8.self)) }
        let jsText = LogstashDecoder.jsText(members, bytes: bytes, renamedKeys: renamedKeys, count: jsBytes)
        if !sawTime {
            if requireTimestamp {
                return .failure(Rejection(reason: .missingTimestamp, detail: "no \(timeField) field"))
            }
            micros = now
        }
        var doc = NewDocument(microseconds: micros, sequenceHint: seq, logline: message, jsText: jsText)
        doc.messageOffset = 0  // the message is the whole line: its pattern is the record's
        return .success(doc)
    }
}
