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
    public static let reservedNames: Set<String> = ["pk", "id", "ts", "ms", "seq", "model"]
    public var messageField = "message"
    public var timeField = "@timestamp"
    /// Zone of times without an offset (and of logcollect's literal Z).
    public var producerZone: TimeZone
    /// Largest accepted message in bytes.
    public var maxBytes = 1 << 20
    /// When false, a message without a time is stamped now instead of rejected.
    public var requireTimestamp = true

    public init(producerZone: TimeZone = TimeZone(identifier: "UTC")!) {
        self.producerZone = producerZone
    }

    /// Decodes one message. Values of `js` keep their bytes exactly as the producer sent them.
    public func decode(_ bytes: UnsafeRawBufferPointer, now: Int64) -> Result<NewDocument, Rejection> {
        guard bytes.count <= maxBytes else {
            return .failure(Rejection(reason: .tooLarge, detail: "message of \(bytes.count) bytes exceeds \(maxBytes)"))
        }
        let members: [(key: String, value: Range<Int>)]
        do {
            members = try JSONScanner.topLevelMembers(bytes)
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
        var message = ""
        var seq: UInt64?
        var js: [UInt8] = [UInt8(ascii: "{")]
        js.reserveCapacity(bytes.count)
        var sawTime = false
        for m in members {
            let raw = UnsafeRawBufferPointer(rebasing: bytes[m.value])
            if m.key == timeField {
                sawTime = true
                switch try? JSONParser.parse(raw) {
                case .string(let s): micros = Timestamps.parseISO(s, zone: producerZone)
                case .number(let t): micros = Double(t).flatMap(Timestamps.fromEpoch)
                default: micros = nil
                }
                if micros == nil {
                    return .failure(Rejection(reason: .badTimestamp, detail: "unusable \(timeField): \(String(decoding: raw, as: UTF8.self))"))
                }
            } else if m.key == messageField {
                switch try? JSONParser.parse(raw) {
                case .string(let s): message = s
                case .null, nil: break
                case .some(let v): message = v.serialized()
                }
            } else if m.key == "@version" {
                continue
            } else if m.key == "seq" {
                seq = UInt64(String(decoding: raw, as: UTF8.self))
            } else {
                if js.count > 1 { js.append(UInt8(ascii: ",")) }
                JSONValue.writeString(LogstashDecoder.reservedNames.contains(m.key) ? m.key + "_x" : m.key, to: &js)
                js.append(UInt8(ascii: ":"))
                js.append(contentsOf: raw)
            }
        }
        js.append(UInt8(ascii: "}"))
        if !sawTime {
            if requireTimestamp {
                return .failure(Rejection(reason: .missingTimestamp, detail: "no \(timeField) field"))
            }
            micros = now
        }
        return .success(NewDocument(microseconds: micros, sequenceHint: seq, logline: message,
                                    jsText: String(decoding: js, as: UTF8.self)))
    }
}
