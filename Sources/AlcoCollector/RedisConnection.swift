import CHiredis
import Foundation

/// A Redis address, `redis://[:password@]host[:port][/db]`.
public struct RedisURL: Equatable, Sendable, CustomStringConvertible {
    public var host = "127.0.0.1"
    public var port = 6379
    public var password: String?
    public var database = 0

    public init(_ text: String) throws {
        guard text.hasPrefix("redis://") else { throw CollectorError.badURL(text, "it must start with redis://") }
        var rest = Substring(text.dropFirst(8))
        if let at = rest.lastIndex(of: "@") {
            let auth = rest[..<at]
            password = String(auth.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).last ?? "")
            rest = rest[rest.index(after: at)...]
        }
        if let slash = rest.firstIndex(of: "/") {
            let db = rest[rest.index(after: slash)...]
            if !db.isEmpty {
                guard let n = Int(db), n >= 0 else { throw CollectorError.badURL(text, "the database must be a number") }
                database = n
            }
            rest = rest[..<slash]
        }
        let (h, p) = try hostAndPort(rest, in: text)
        host = h ?? host
        port = p ?? port
    }

    public var description: String { "redis://\(host):\(port)/\(database)" }
}

/// A reply, copied out of hiredis' memory.
enum RedisReply: Equatable {
    case string([UInt8])
    case status(String)
    case integer(Int64)
    case array([RedisReply])
    case null
    case error(String)
}

/// One blocking hiredis connection, for one thread.
final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>
    let url: RedisURL

    init(url: RedisURL, timeoutSeconds: Int = 5) throws {
        self.url = url
        guard let c = redisConnectWithTimeout(url.host, Int32(url.port), timeval(tv_sec: timeoutSeconds, tv_usec: 0)) else {
            throw CollectorError.connection("cannot allocate a Redis connection")
        }
        context = c
        // Thrown from here on, deinit frees the context.
        if c.pointee.err != 0 {
            throw CollectorError.connection("cannot connect to \(url): \(RedisConnection.errorText(c))")
        }
        if let password = url.password { try expectOK(["AUTH", password]) }
        if url.database != 0 { try expectOK(["SELECT", String(url.database)]) }
    }

    deinit { redisFree(context) }

    private static func errorText(_ c: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: c.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// Sets how long a blocking read may wait (BLMOVE's timeout is shorter).
    func setReadTimeout(seconds: Int) {
        _ = redisSetTimeout(context, timeval(tv_sec: seconds, tv_usec: 0))
    }

    func command(_ args: [String]) throws -> RedisReply {
        try pipeline([args])[0]
    }

    /// Sends every command, then reads every reply: one round trip for a batch.
    func pipeline(_ commands: [[String]]) throws -> [RedisReply] {
        for args in commands {
            let bytes = args.map { Array($0.utf8) }
            let status: Int32 = withPointers(bytes) { argv, lengths in
                redisAppendCommandArgv(context, Int32(args.count), argv, lengths)
            }
            guard status == REDIS_OK else { throw CollectorError.connection("redis: \(RedisConnection.errorText(context))") }
        }
        var out: [RedisReply] = []
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else {
                throw CollectorError.connection("redis: \(RedisConnection.errorText(context))")
            }
            let reply = raw.assumingMemoryBound(to: redisReply.self)
            out.append(RedisConnection.copy(reply))
            freeReplyObject(raw)
        }
        return out
    }

    func expectOK(_ args: [String]) throws {
        if case .error(let e) = try command(args) { throw CollectorError.broker("redis \(args[0]): \(e)", code: 0) }
    }

    private static func copy(_ r: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let p = r.pointee
        func bytes() -> [UInt8] {
            guard let s = p.str, p.len > 0 else { return [] }
            return Array(UnsafeRawBufferPointer(start: s, count: Int(p.len)))
        }
        switch p.type {
        case REDIS_REPLY_STRING: return .string(bytes())
        case REDIS_REPLY_STATUS: return .status(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_ERROR: return .error(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_INTEGER: return .integer(p.integer)
        case REDIS_REPLY_ARRAY:
            return .array((0..<Int(p.elements)).map { copy(p.element[$0]!) })
        default: return .null
        }
    }

    private func withPointers<R>(_ args: [[UInt8]], _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R) -> R {
        let copies: [UnsafeMutablePointer<CChar>] = args.map { a in
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, a.count))
            a.withUnsafeBytes { src in
                if let base = src.baseAddress { UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: a.count) }
            }
            return p
        }
        defer { copies.forEach { $0.deallocate() } }
        var argv: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) }
        let lengths = args.map(\.count)
        return argv.withUnsafeMutableBufferPointer { a in
            lengths.withUnsafeBufferPointer { l in body(a.baseAddress!, l.baseAddress!) }
        }
    }
}
