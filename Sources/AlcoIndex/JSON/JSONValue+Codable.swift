/// Any JSON through `Codable`, so files such as settings.json can keep members the engine
/// does not interpret. Numbers keep their text where the decoder gives it (whole numbers),
/// otherwise the shortest text of the decoded double.
extension JSONValue: Codable {

    public init(from decoder: any Decoder) throws {
        if let object = try? decoder.container(keyedBy: NamedKey.self) {
            let keys = object.allKeys.sorted { $0.stringValue < $1.stringValue }
            self = .object(try keys.map { ($0.stringValue, try object.decode(JSONValue.self, forKey: $0)) })
            return
        }
        if var array = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !array.isAtEnd { items.append(try array.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let b = try? single.decode(Bool.self) {
            self = .bool(b)
        } else if let s = try? single.decode(String.self) {
            self = .string(s)
        } else if let n = try? single.decode(Int64.self) {
            self = .number(text: String(n))
        } else {
            let d = try single.decode(Double.self)
            self = .number(text: String(d))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .string(let s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case .number(let text):
            var c = encoder.singleValueContainer()
            if let n = Int64(text) {
                try c.encode(n)
            } else if let d = Double(text), d.isFinite {
                try c.encode(d)
            } else {
                try c.encode(text)
            }
        case .array(let items):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(item) }
        case .object(let members):
            var c = encoder.container(keyedBy: NamedKey.self)
            for (key, value) in members { try c.encode(value, forKey: NamedKey(stringValue: key)) }
        }
    }
}

/// A coding key of any name: JSON members known only when read (settings.json and
/// columns.json keep other layers' keys beside the engine's).
struct NamedKey: CodingKey {
    let stringValue: String
    init(_ name: String) { stringValue = name }
    init(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}
