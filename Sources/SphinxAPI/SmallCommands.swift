import NIOCore

/// KEYWORDS: how a query's text splits into the words an index holds.
public struct APIKeywordsRequest: Equatable, Sendable {
    public var query: String
    public var index: String
    public var wantsStatistics: Bool

    public static func decode(_ body: ByteBuffer) throws -> APIKeywordsRequest {
        var r = APIReader(body)
        return APIKeywordsRequest(query: try r.readString(), index: try r.readString(), wantsStatistics: try r.readInt32() != 0)
    }

    public struct Keyword: Equatable, Sendable {
        public var tokenized: String
        public var normalized: String
        public var documents: Int
        public var hits: Int
        public init(tokenized: String, normalized: String, documents: Int = 0, hits: Int = 0) {
            self.tokenized = tokenized
            self.normalized = normalized
            self.documents = documents
            self.hits = hits
        }
    }

    public func reply(_ keywords: [Keyword]) -> ByteBuffer {
        var w = APIWriter()
        w.write(count: keywords.count)
        for k in keywords {
            w.write(k.tokenized)
            w.write(k.normalized)
            if wantsStatistics {
                w.write(count: k.documents)
                w.write(count: k.hits)
            }
        }
        return APIWriter.reply(status: .ok, version: APICommand.keywords.serverVersion, body: w.buffer)
    }
}

/// EXCERPT: snippets of texts the client sends, highlighted for a query as an index would
/// tokenize it (a distributed index's snippets are built by its agents).
public struct APIExcerptRequest: Equatable, Sendable {
    public var flags: UInt32
    public var index: String
    public var words: String
    public var beforeMatch: String
    public var afterMatch: String
    public var chunkSeparator: String
    public var limit: Int32
    public var around: Int32
    public var limitPassages: Int32 = 0
    public var limitWords: Int32 = 0
    public var startPassageID: Int32 = 1
    public var htmlStripMode = "index"
    public var passageBoundary = ""
    public var documents: [String]

    /// searchd's bound on the texts of one request.
    public static let maxDocuments = 1024
    /// EXCERPT_FLAG_QUERY: read `words` as a full-text query.
    public static let flagQuery: UInt32 = 1 << 5
    /// EXCERPT_FLAG_ALLOW_EMPTY: a text without matches gives "" rather than its start.
    public static let flagAllowEmpty: UInt32 = 1 << 8
    /// EXCERPT_FLAG_LOAD_FILES: the texts are file names on the server; refused here.
    public static let flagLoadFiles: UInt32 = 1 << 7
    static let flagSinglePassage: UInt32 = 1 << 2

    public static func decode(_ body: ByteBuffer, version: UInt16) throws -> APIExcerptRequest {
        try APIRequest.checkVersion(version, of: .excerpt)
        var r = APIReader(body)
        _ = try r.readInt32()  // mode, reserved
        let flags = try r.readUInt32()
        var q = APIExcerptRequest(
            flags: flags, index: try r.readString(), words: try r.readString(), beforeMatch: try r.readString(),
            afterMatch: try r.readString(), chunkSeparator: try r.readString(), limit: try r.readInt32(),
            around: try r.readInt32(), documents: [])
        if version >= 0x102 {
            q.limitPassages = try r.readInt32()
            q.limitWords = try r.readInt32()
            q.startPassageID = try r.readInt32()
            q.htmlStripMode = try r.readString()
            guard ["none", "index", "strip", "retain"].contains(q.htmlStripMode) else {
                throw APIDecodingError.unsupported("unknown html_strip_mode=\(q.htmlStripMode)")
            }
        }
        if version >= 0x103 { q.passageBoundary = try r.readString() }
        if flags & flagSinglePassage != 0 { q.limitPassages = 1 }
        let count = try r.readInt32()
        guard count > 0, Int(count) <= maxDocuments else { throw APIDecodingError.unsupported("invalid entries count \(count)") }
        for _ in 0..<count { q.documents.append(try r.readString()) }
        if flags & flagLoadFiles != 0 {
            throw APIDecodingError.unsupported("load_files is not supported: alco builds snippets of the texts sent")
        }
        return q
    }

    public static func reply(_ snippets: [String]) -> ByteBuffer {
        var w = APIWriter()
        for s in snippets { w.write(s) }
        return APIWriter.reply(status: .ok, version: APICommand.excerpt.serverVersion, body: w.buffer)
    }
}

/// STATUS: searchd's counters (or the last query's meta) as name/value rows.
public enum APIStatusReply {
    public static func reply(_ rows: [(String, String)]) -> ByteBuffer {
        var w = APIWriter()
        w.write(count: rows.count)
        w.write(UInt32(2))
        for (name, value) in rows {
            w.write(name)
            w.write(value)
        }
        return APIWriter.reply(status: .ok, version: APICommand.status.serverVersion, body: w.buffer)
    }
}

/// PING: the client's cookie, echoed.
public enum APIPingReply {
    public static func reply(cookie: UInt32) -> ByteBuffer {
        var w = APIWriter()
        w.write(cookie)
        return APIWriter.reply(status: .ok, version: APICommand.ping.serverVersion, body: w.buffer)
    }
}
