import AlcoIndex
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The HTTP client of `alco search --server`: AsyncHTTPClient, so `https://` servers behind a
/// proxy work (the system's CA store, or `--cacert`), redirects are followed (credentials are
/// not sent to another origin), and the command's requests share kept-alive connections. A
/// body is read line by line as it arrives, with back-pressure: an export of a whole day
/// streams through a bounded buffer. The CLI is synchronous; the client's event loop calls
/// the delegate, and the command's thread waits for what it needs.
final class ServerClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// `scheme://host:port` and the path prefix a proxy may put the server under.
    let origin: String
    let prefix: String
    private let authorization: String?
    private let client: HTTPClient
    private var open: [LineReader] = []

    /// - Parameters:
    ///   - server: `http(s)://[user:password@]host[:port][/prefix]`.
    ///   - token: sent as a bearer token (instead of the URL's user and password).
    ///   - caCertificates: a PEM file of the certificate authorities to trust instead of the
    ///     system's (a private CA's proxy).
    init(server: String, token: String?, caCertificates: String?) throws {
        guard let url = URLComponents(string: server), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            throw Failure(description: "--server takes http(s)://HOST[:PORT][/PREFIX], not '\(server)'")
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        origin = "\(scheme)://\(hostPart)" + (url.port.map { ":\($0)" } ?? "")
        prefix = url.path.hasSuffix("/") ? String(url.path.dropLast()) : url.path
        if let token {
            authorization = "Bearer " + token
        } else if let user = url.user {
            let pair = (user.removingPercentEncoding ?? user) + ":" + ((url.password ?? "").removingPercentEncoding ?? "")
            authorization = "Basic " + Data(pair.utf8).base64EncodedString()
        } else {
            authorization = nil
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caCertificates {
            // Read now, for a clear error rather than a failed handshake later.
            do {
                _ = try NIOSSLCertificate.fromPEMFile(caCertificates)
            } catch {
                throw Failure(description: "cannot read the CA certificates in \(caCertificates): \(error)")
            }
            tls.trustRoots = .file(caCertificates)
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .follow(max: 5, allowCycles: false),
            // No read timeout: a live tail waits for lines as long as it runs.
            timeout: .init(connect: .seconds(10), read: nil))
        configuration.decompression = .disabled
        // A refused certificate or connection is the answer: say it now, not after retrying
        // until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    deinit { close() }

    /// Ends every request still open and the client's connections.
    func close() {
        for reader in open { reader.cancel() }
        open = []
        try? client.syncShutdown()
    }

    /// Sends `GET prefix+path?query` and waits for the answer's head: a reader of its body when
    /// the status is 200, otherwise a failure with the server's `detail`.
    func get(_ path: String, _ params: [(String, String)]) throws -> LineReader {
        var components = URLComponents()
        components.path = prefix + path
        if !params.isEmpty { components.queryItems = params.map { URLQueryItem(name: $0.0, value: $0.1) } }
        // URLComponents leaves + and ; as they are; the server reads + as a space.
        let query = components.percentEncodedQuery.map { "?" + $0.replacingOccurrences(of: "+", with: "%2B") } ?? ""
        var headers = HTTPHeaders([("Accept", "application/x-ndjson, application/json")])
        if let authorization { headers.add(name: "Authorization", value: authorization) }
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: origin + components.percentEncodedPath + query, method: .GET, headers: headers)
        } catch {
            throw Failure(description: "cannot ask \(origin) for \(path): \(error)")
        }
        let reader = LineReader(origin: origin)
        reader.task = client.execute(request: request, delegate: reader.delegate)
        open.append(reader)
        let status = try reader.waitForHead()
        guard status == 200 else {
            let body = (try? reader.readAll(limit: 1 << 20)) ?? ""
            reader.cancel()
            let detail = (try? JSONParser.parse(body))?["detail"]?.stringValue ?? body
            throw Failure(description: "the server answered \(status): \(detail)")
        }
        return reader
    }
}

/// One answer's body, line by line, as it arrives.
final class LineReader {
    /// A longer line is an error rather than memory without bound (lines of megabytes are
    /// real; of this, not).
    static let maxLineBytes = 256 << 20
    let origin: String
    let delegate = StreamingDelegate()
    var task: HTTPClient.Task<Void>?
    private var pending = ByteBuffer()
    private var ended = false

    init(origin: String) { self.origin = origin }

    func waitForHead() throws -> Int {
        do {
            return try delegate.waitForHead()
        } catch {
            throw ServerClient.Failure(description: "cannot reach \(origin): \(error)")
        }
    }

    /// The next line of the body, nil at its end.
    func nextLine() throws -> String? {
        while true {
            if let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                let length = newline - pending.readerIndex
                let line = pending.readString(length: length) ?? ""
                pending.moveReaderIndex(forwardBy: 1)
                return line
            }
            if ended {
                guard pending.readableBytes > 0 else { return nil }
                defer { pending.clear() }
                return pending.readString(length: pending.readableBytes)
            }
            guard pending.readableBytes <= Self.maxLineBytes else {
                cancel()
                throw ServerClient.Failure(description: "\(origin) sent a line longer than \(Self.maxLineBytes >> 20) MiB")
            }
            do {
                if var chunk = try delegate.nextChunk() {
                    pending.discardReadBytes()
                    pending.writeBuffer(&chunk)
                } else {
                    ended = true
                }
            } catch {
                throw ServerClient.Failure(description: "reading from \(origin): \(error)")
            }
        }
    }

    /// The rest of the body, its lines joined, at most `limit` bytes.
    func readAll(limit: Int = 64 << 20) throws -> String {
        var body = ""
        while let line = try nextLine() {
            body += line
            guard body.utf8.count <= limit else { throw ServerClient.Failure(description: "\(origin) answered more than \(limit >> 20) MiB") }
        }
        return body
    }

    func cancel() {
        delegate.abandon()
        task?.cancel()
    }
}

/// Hands an answer's head and body chunks from the client's event loop to the waiting command
/// thread, one chunk at a time: the next is read from the socket only once the command took
/// this one (the future `didReceiveBodyPart` returns completes then).
final class StreamingDelegate: HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = Void

    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var status: Int?
    private var chunk: ByteBuffer?
    private var taken: EventLoopPromise<Void>?
    private var finished = false
    private var failure: (any Error)?
    private var abandoned = false

    func didReceiveHead(task: HTTPClient.Task<Void>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        condition.lock()
        status = Int(head.status.code)
        condition.broadcast()
        condition.unlock()
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Void>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        condition.lock()
        defer { condition.unlock() }
        if abandoned { return task.eventLoop.makeSucceededVoidFuture() }
        let promise = task.eventLoop.makePromise(of: Void.self)
        chunk = buffer
        taken = promise
        condition.broadcast()
        return promise.futureResult
    }

    func didReceiveError(task: HTTPClient.Task<Void>, _ error: any Error) {
        condition.lock()
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    func didFinishRequest(task: HTTPClient.Task<Void>) throws {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The answer's status, once its head arrived.
    func waitForHead() throws -> Int {
        condition.lock()
        defer { condition.unlock() }
        while status == nil && failure == nil && !finished { condition.wait() }
        if let status { return status }
        throw failure ?? ServerClient.Failure(description: "the connection closed before an answer")
    }

    /// The next chunk of the body, nil at its end.
    func nextChunk() throws -> ByteBuffer? {
        condition.lock()
        while chunk == nil && failure == nil && !finished { condition.wait() }
        if let next = chunk {
            chunk = nil
            let promise = taken
            taken = nil
            condition.unlock()
            promise?.succeed()
            return next
        }
        defer { condition.unlock() }
        if let failure { throw failure }
        return nil
    }

    /// The command no longer reads: let the client read on (and be cancelled) without waiting.
    func abandon() {
        condition.lock()
        abandoned = true
        chunk = nil
        let promise = taken
        taken = nil
        condition.unlock()
        promise?.succeed()
    }
}
