/// An AMQP broker address, `amqp://user:pass@host:port/vhost` (`amqps://` for TLS).
public struct AMQPURL: Equatable, Sendable, CustomStringConvertible {
    public var host = "127.0.0.1"
    public var port = 5672
    public var user = "guest"
    public var password = "guest"
    public var vhost = "/"
    public var tls = false
    /// TLS settings from the query, named as RabbitMQ's URI spec names them:
    /// `?cacertfile=…&certfile=…&keyfile=…&verify=verify_peer|verify_none`.
    public var caCertFile: String?
    public var certFile: String?
    public var keyFile: String?
    public var verifyPeer = true

    public init(_ text: String) throws {
        var rest = Substring(text)
        if rest.hasPrefix("amqps://") {
            tls = true
            port = 5671
            rest = rest.dropFirst(8)
        } else if rest.hasPrefix("amqp://") {
            rest = rest.dropFirst(7)
        } else {
            throw CollectorError.badURL(text, "it must start with amqp:// or amqps://")
        }
        if let question = rest.firstIndex(of: "?") {
            try readQuery(rest[rest.index(after: question)...], in: text)
            rest = rest[..<question]
        }
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            user = AMQPURL.percentDecoded(parts[0])
            if parts.count > 1 { password = AMQPURL.percentDecoded(parts[1]) }
        }
        if let slash = rest.firstIndex(of: "/") {
            let v = rest[rest.index(after: slash)...]
            // "/" alone means the default vhost; "/x" names vhost x ("%2F" is "/").
            if !v.isEmpty { vhost = AMQPURL.percentDecoded(v) }
            rest = rest[..<slash]
        }
        let (h, p) = try hostAndPort(rest, in: text)
        host = h ?? host
        port = p ?? port
    }

    private mutating func readQuery(_ query: Substring, in text: String) throws {
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let value = kv.count > 1 ? AMQPURL.percentDecoded(kv[1]) : ""
            switch kv[0] {
            case "cacertfile": caCertFile = value
            case "certfile": certFile = value
            case "keyfile": keyFile = value
            case "verify":
                guard value == "verify_peer" || value == "verify_none" else {
                    throw CollectorError.badURL(text, "verify is verify_peer or verify_none")
                }
                verifyPeer = value == "verify_peer"
            case "heartbeat", "connection_timeout", "channel_max", "auth_mechanism", "server_name_indication":
                break  // RabbitMQ URI parameters alco sets itself
            default:
                throw CollectorError.badURL(text, "unknown parameter '\(kv[0])' (cacertfile, certfile, keyfile, verify)")
            }
        }
        if (certFile == nil) != (keyFile == nil) { throw CollectorError.badURL(text, "certfile and keyfile go together") }
        if !tls && (caCertFile != nil || certFile != nil) { throw CollectorError.badURL(text, "TLS files need amqps://") }
    }

    /// Without the password, for logs.
    public var description: String { "amqp\(tls ? "s" : "")://\(user)@\(host):\(port)/\(vhost == "/" ? "" : vhost)" }

    static func percentDecoded(_ s: Substring) -> String {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%"), bytes.count >= 2, let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

public enum CollectorError: Error, CustomStringConvertible, Equatable {
    case badURL(String, String)
    case broker(String, code: Int)
    case connection(String)

    public var description: String {
        switch self {
        case .badURL(let url, let why): return "bad AMQP URL '\(url)': \(why)"
        case .broker(let m, _): return m
        case .connection(let m): return m
        }
    }
}

/// `host[:port]` of a URL; nil parts were not given.
func hostAndPort(_ text: Substring, in url: String) throws -> (host: String?, port: Int?) {
    var rest = text
    var port: Int?
    if let colon = rest.lastIndex(of: ":") {
        guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else {
            throw CollectorError.badURL(url, "the port must be a number from 1 to 65535")
        }
        port = p
        rest = rest[..<colon]
    }
    return (rest.isEmpty ? nil : String(rest), port)
}
