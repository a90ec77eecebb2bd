import AlcoIndex
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A blocking HTTP/1.1 GET whose body is read line by line as it arrives, for `alco search
/// --server` reading a running server's NDJSON: no buffering of a whole export, plain sockets,
/// `Content-Length`, chunked and read-to-close bodies.
final class HTTPLineClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let host: String
    let port: Int
    let authorization: String?
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []
    private var start = 0
    private enum Framing { case length(Int), chunked(remaining: Int, done: Bool), close }
    private var framing = Framing.close

    /// `http://[user:password@]host[:port]`; `token` is sent as a bearer token.
    init(server: String, token: String?) throws {
        guard let url = URLComponents(string: server), url.scheme == "http", let host = url.host, !host.isEmpty else {
            throw Failure(description: "--server takes http://HOST:PORT, not '\(server)'")
        }
        self.host = host
        port = url.port ?? 80
        if let token {
            authorization = "Bearer " + token
        } else if let user = url.user {
            let pair = (user.removingPercentEncoding ?? user) + ":" + ((url.password ?? "").removingPercentEncoding ?? "")
            authorization = "Basic " + Data(pair.utf8).base64EncodedString()
        } else {
            authorization = nil
        }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// Sends the request; returns the status and, for errors, the body's `detail`.
    func get(_ pathAndQuery: String) throws {
        try connect()
        var request = "GET \(pathAndQuery) HTTP/1.1\r\nHost: \(host):\(port)\r\nAccept: application/x-ndjson\r\nConnection: close\r\n"
        if let authorization { request += "Authorization: \(authorization)\r\n" }
        request += "\r\n"
        try request.utf8.withContiguousStorageIfAvailable { bytes in
            var sent = 0
            while sent < bytes.count {
                let n = send(fd, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                guard n > 0 else { throw Failure(description: "cannot send to \(host):\(port): \(String(cString: strerror(errno)))") }
                sent += n
            }
        }
        guard let statusLine = try rawLine() else { throw Failure(description: "\(host):\(port) closed the connection") }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure(description: "not an HTTP answer: \(statusLine)") }
        var headers: [String: String] = [:]
        while let line = try rawLine(), !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            framing = .chunked(remaining: 0, done: false)
        } else if let length = headers["content-length"].flatMap(Int.init) {
            framing = .length(length)
        }
        guard status == 200 else {
            let body = try readAll()
            let detail = (try? JSONParser.parse(body))?["detail"]?.stringValue ?? body
            throw Failure(description: "the server answered \(status): \(detail)")
        }
    }

    /// The rest of the body, its lines joined.
    func readAll() throws -> String {
        var body = ""
        while let line = try nextLine() { body += line }
        return body
    }

    /// The next line of the body, nil at its end.
    func nextLine() throws -> String? {
        var line: [UInt8] = []
        while true {
            guard let b = try bodyByte() else { return line.isEmpty ? nil : String(decoding: line, as: UTF8.self) }
            if b == 0x0A { return String(decoding: line, as: UTF8.self) }
            line.append(b)
        }
    }

    private func bodyByte() throws -> UInt8? {
        switch framing {
        case .close:
            return try byte()
        case .length(let n):
            guard n > 0 else { return nil }
            framing = .length(n - 1)
            return try byte()
        case .chunked(var remaining, let done):
            if done { return nil }
            if remaining == 0 {
                guard let sizeLine = try rawLine(), let size = Int(sizeLine.split(separator: ";")[0].trimmingCharacters(in: .whitespaces), radix: 16) else {
                    throw Failure(description: "a malformed chunk from \(host):\(port)")
                }
                if size == 0 {
                    framing = .chunked(remaining: 0, done: true)
                    return nil
                }
                remaining = size
            }
            let b = try byte()
            remaining -= 1
            if remaining == 0 { _ = try rawLine() }  // the CRLF after the chunk
            framing = .chunked(remaining: remaining, done: false)
            return b
        }
    }

    /// A header line without its CRLF.
    private func rawLine() throws -> String? {
        var line: [UInt8] = []
        while let b = try byte() {
            if b == 0x0A { return String(decoding: line.last == 0x0D ? line.dropLast() : line[...], as: UTF8.self) }
            line.append(b)
        }
        return line.isEmpty ? nil : String(decoding: line, as: UTF8.self)
    }

    private func byte() throws -> UInt8? {
        if start == buffer.count {
            buffer = [UInt8](repeating: 0, count: 1 << 16)
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n >= 0 else { throw Failure(description: "cannot read from \(host):\(port): \(String(cString: strerror(errno)))") }
            buffer.removeSubrange(n...)
            start = 0
            if n == 0 { return nil }
        }
        defer { start += 1 }
        return buffer[start]
    }

    private func connect() throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw Failure(description: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = 0
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            let s = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            if s >= 0 {
                if Glibc.connect(s, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 {
                    fd = s
                    return
                }
                lastError = errno
                Glibc.close(s)
            }
            ai = a.pointee.ai_next
        }
        throw Failure(description: "cannot connect to \(host):\(port): \(String(cString: strerror(lastError)))")
    }
}
