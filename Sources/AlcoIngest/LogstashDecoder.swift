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

    public func decode(_ bytes: UnsafeRawBufferPointer, now: Int64) -> Result<NewDocument, Rejection> {
        guard bytes.count <= maxBytes else {
            return .failure(Rejection(reason: .tooLarge, detail: "message of \(bytes.count) bytes exceeds \(maxBytes)"))
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            return .failure(Rejection(reason: .malformedJSON, detail: "\(error)"))
        }
        guard case .object(let members) = value else {
            return .failure(Rejection(reason: .notAnObject, detail: "a log message must be a JSON object"))
        }
        return decode(members, now: now)
    }

    public func decode(_ members: [(key: String, value: JSONValue)], now: Int64) -> Result<NewDocument, Rejection> {
        var micros: Int64?
        var message = ""
        var seq: UInt64?
        var js: [(key: String, value: JSONValue)] = []
        js.reserveCapacity(members.count)
        var sawTime = false
        for m in members {
            if m.key == timeField {
                sawTime = true
                switch m.value {
                case .string(let s): micros = Timestamps.parseISO(s, zone: producerZone)
                case .number(let t): micros = Double(t).flatMap(Timestamps.fromEpoch)
                default: micros = nil
                }
                if micros == nil {
                    return .failure(Rejection(reason: .badTimestamp, detail: "unusable \(timeField): \(m.value.serialized())"))
                }
            } else if m.key == messageField {
                if case .string(let s) = m.value { message = s } else if m.value != .null { message = m.value.serialized() }
            } else if m.key == "@version" {
                continue
            } else if m.key == "seq" {
                if case .number(let t) = m.value, let v = UInt64(t) { seq = v }
            } else if LogstashDecoder.reservedNames.contains(m.key) {
                js.append((m.key + "_x", m.value))
            } else {
                js.append(m)
            }
        }
        if !sawTime {
            if requireTimestamp {
                return .failure(Rejection(reason: .missingTimestamp, detail: "no \(timeField) field"))
            }
            micros = now
        }
        return .success(NewDocument(microseconds: micros, sequenceHint: seq, logline: message, js: .object(js)))
    }
}
