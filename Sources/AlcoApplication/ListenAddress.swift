/// A `HOST:PORT` listener address from the settings; `[::1]:9306` for IPv6.
public struct ListenAddress: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init(_ text: String) throws {
        guard let colon = text.lastIndex(of: ":") else {
            throw SettingsError("'\(text)' is not HOST:PORT")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw SettingsError("'\(text)' is not HOST:PORT with a port from 0 to 65535")
        }
        self.host = host
        self.port = port
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension ListenAddress {
    /// Whether only this machine can connect: an IPv4 address in 127.0.0.0/8, ::1, or
    /// `localhost`. Names are not resolved: `127.example.com` is a name that can point
    /// anywhere, so it is not loopback.
    public var isLoopback: Bool {
        if host == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { b in b.prefix(15).allSatisfy { $0 == 0 } && b[15] == 1 }
        }
        return false
    }
}
