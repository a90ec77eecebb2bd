import NIOCore

/// The answer to one query of a SEARCH batch.
public struct APISearchResult: Equatable, Sendable {
    public struct Attribute: Equatable, Sendable {
        public var name: String
        public var type: APIAttributeType
        public init(_ name: String, _ type: APIAttributeType) {
            self.name = name
            self.type = type
        }
    }

    public struct Match: Equatable, Sendable {
        public var id: UInt64
        public var weight: Int32
        /// One per attribute, in schema order.
        public var values: [APIValue]
        public init(id: UInt64, weight: Int32, values: [APIValue]) {
            self.id = id
            self.weight = weight
            self.values = values
        }
    }

    public struct WordStats: Equatable, Sendable {
        public var word: String
        public var documents: Int
        public var hits: Int
        public init(word: String, documents: Int, hits: Int) {
            self.word = word
            self.documents = documents
            self.hits = hits
        }
    }

    public var status: APIStatus = .ok
    /// The error or warning, when `status` says there is one.
    public var message = ""
    public var fields: [String] = []
    public var attributes: [Attribute] = []
    public var matches: [Match] = []
    public var totalFound = 0
    /// Matches the query kept, up to max_matches (a client's `total`; a master is told how
    /// many were sent).
    public var retained: Int?
    public var milliseconds = 0
    public var words: [WordStats] = []

    public init() {}

    public static func failure(_ message: String) -> APISearchResult {
        var r = APISearchResult()
        r.status = .error
        r.message = message
        return r
    }

    /// Writes the result as searchd does for a master (`masterVersion` > 0: packed JSON,
    /// statistics, per-word flags) or for a client (JSON as text).
    public func encode(into w: inout APIWriter, masterVersion: UInt32) {
        let toMaster = masterVersion > 0
        w.write(status.rawValue)
        if status != .ok { w.write(message) }
        if status == .error || status == .retry { return }
        w.write(count: fields.count)
        for f in fields { w.write(f) }
        w.write(count: attributes.count)
        for a in attributes {
            w.write(a.name)
            var type = a.type
            if !toMaster && (type == .json || type == .jsonField || type == .stringPointer) { type = .string }
            w.write(type.rawValue)
        }
        w.write(count: matches.count)
        w.write(UInt32(1))  // 64-bit ids
        for m in matches {
            w.write(m.id)
            w.write(m.weight)
            for v in m.values { v.encode(into: &w) }
        }
        w.write(count: toMaster ? matches.count : retained ?? matches.count)
        w.write(count: totalFound)
        w.write(count: milliseconds)
        if toMaster {
            w.write(byte: 0)  // no I/O, CPU or predicted-time statistics follow
            if masterVersion >= 7 {
                for _ in 0..<3 { w.write(UInt32(0)) }  // fetched docs, hits, skips
            }
        }
        w.write(count: words.count)
        for s in words {
            w.write(s.word)
            w.write(count: s.documents)
            w.write(count: s.hits)
            if toMaster { w.write(byte: 0) }  // no expanded terms
        }
    }

    /// A whole SEARCH reply: one result per query of the batch.
    public static func reply(_ results: [APISearchResult], masterVersion: UInt32) -> ByteBuffer {
        var body = APIWriter()
        for r in results { r.encode(into: &body, masterVersion: masterVersion) }
        return APIWriter.reply(status: .ok, version: APICommand.search.serverVersion, body: body.buffer)
    }
}

/// One attribute value of a match, as a master reads it. A client is sent JSON as text, so
/// for a client the agent makes JSON values `.string`s (and the schema says STRING).
public enum APIValue: Equatable, Sendable {
    case integer(UInt32)
    case bigint(Int64)
    case float(Float)
    /// STRING and STRINGPTR; nil is an empty string on the wire.
    case string([UInt8]?)
    /// A whole JSON document, packed.
    case json([UInt8])
    /// A value inside a JSON document; nil when the key is missing.
    case jsonField(PackedField?)

    public struct PackedField: Equatable, Sendable {
        public var kind: PackedJSON.Kind
        public var bytes: [UInt8]
        public init(kind: PackedJSON.Kind, bytes: [UInt8]) {
            self.kind = kind
            self.bytes = bytes
        }
    }

    /// About what the value takes on the wire (bounds an answer's size before it is written).
    public var byteCount: Int {
        switch self {
        case .integer, .float: return 4
        case .bigint: return 8
        case .string(let s): return 4 + (s?.count ?? 0)
        case .json(let packed): return 4 + packed.count
        case .jsonField(let f): return 5 + (f?.bytes.count ?? 0)
        }
    }

    func encode(into w: inout APIWriter) {
        switch self {
        case .integer(let v): w.write(v)
        case .bigint(let v): w.write(UInt64(bitPattern: v))
        case .float(let f): w.write(f)
        case .string(let s): w.write(bytes: s ?? [])
        case .json(let packed): w.write(bytes: packed)
        case .jsonField(let field):
            guard let field else {
                w.write(byte: PackedJSON.Kind.eof.rawValue)
                return
            }
            w.write(byte: field.kind.rawValue)
            if field.kind.hasVariableSize { w.write(count: field.bytes.count) }
            w.buffer.writeBytes(field.bytes)
        }
    }
}
