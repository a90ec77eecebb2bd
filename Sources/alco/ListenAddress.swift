import ArgumentParser

/// A `HOST:PORT` listener address from the command line; `[::1]:9306` for IPv6.
struct ListenAddress {
    var host: String
    var port: Int

    init(_ text: String) throws {
        guard let colon = text.lastIndex(of: ":") else {
            throw ValidationError("'\(text)' is not HOST:PORT")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("'\(text)' is not HOST:PORT with a port from 0 to 65535")
        }
        self.host = host
        self.port = port
    }
}

extension ListenAddress {
    /// Whether only this machine can connect: 127.0.0.0/8, ::1 or localhost.
    var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
