import NIOCore

/// A request, read from its frame: what the executor is asked to do.
public enum APIRequest: Equatable, Sendable {
    case search(APISearchRequest)
    case excerpt(APIExcerptRequest)
    case keywords(APIKeywordsRequest)
    /// `global`: the daemon's counters; otherwise the last query's meta.
    case status(global: Bool)

    /// Reads a request's body; the error replies are searchd's. PING and PERSIST are the
    /// connection's business and never reach here.
    static func decode(command: APICommand, version: UInt16, body: ByteBuffer) throws -> APIRequest {
        switch command {
        case .search:
            return .search(try APISearchRequest.decode(body, version: version))
        case .excerpt:
            return .excerpt(try APIExcerptRequest.decode(body, version: version))
        case .keywords:
            try checkVersion(version, of: command)
            return .keywords(try APIKeywordsRequest.decode(body))
        case .status:
            try checkVersion(version, of: command)
            var r = APIReader(body)
            return .status(global: try r.readUInt32() != 0)
        default:
            throw APIDecodingError.unsupported("command \(command) is not supported by alco")
        }
    }

    static func checkVersion(_ version: UInt16, of command: APICommand) throws {
        let ours = command.serverVersion
        guard version >> 8 == ours >> 8 else {
            throw APIDecodingError.unsupported(
                "major command version mismatch (expected v.\(ours >> 8).x, got v.\(version >> 8).\(version & 0xFF))")
        }
        guard version <= ours else {
            throw APIDecodingError.unsupported(
                "client version is higher than daemon version (client is v.\(version >> 8).\(version & 0xFF), daemon is v.\(ours >> 8).\(ours & 0xFF))"
            )
        }
    }
}

/// Answers requests; replies are whole frames (header and body).
public protocol SphinxAPIExecutor: Sendable {
    func execute(_ request: APIRequest, completion: @escaping @Sendable (ByteBuffer) -> Void)
}
