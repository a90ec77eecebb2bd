/// `mysql_native_password`: the client proves it knows the password without sending it.
///
/// token = SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password))). The server keeps only
/// SHA1(SHA1(password)), recovers SHA1(password) from the token and checks that it hashes to
/// what it keeps.
public enum MySQLNativePassword {
    public static let pluginName = "mysql_native_password"

    /// What a server stores for a password: SHA1(SHA1(password)).
    public static func storedHash(password: String) -> [UInt8] {
        SHA1.hash(SHA1.hash(Array(password.utf8)))
    }

    /// The client's token for `password` and `scramble`; empty for an empty password.
    public static func token(password: String, scramble: [UInt8]) -> [UInt8] {
        guard !password.isEmpty else { return [] }
        let stage1 = SHA1.hash(Array(password.utf8))
        let mask = SHA1.hash(scramble + SHA1.hash(stage1))
        return zip(stage1, mask).map { $0 ^ $1 }
    }

    public static func verify(token: [UInt8], scramble: [UInt8], storedHash: [UInt8]) -> Bool {
        guard token.count == 20 else { return false }
        let mask = SHA1.hash(scramble + storedHash)
        let stage1 = zip(token, mask).map { $0 ^ $1 }
        return constantTimeEquals(SHA1.hash(stage1), storedHash)
    }

    private static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for (x, y) in zip(a, b) { diff |= x ^ y }
        return diff == 0
    }
}

/// The one account a server may require; without one, every login is accepted, as Sphinx did.
public struct MySQLCredentials: Sendable, Equatable {
    public var user: String
    public var storedHash: [UInt8]
    public var hasEmptyPassword: Bool

    public init(user: String, password: String) {
        self.user = user
        self.storedHash = MySQLNativePassword.storedHash(password: password)
        self.hasEmptyPassword = password.isEmpty
    }

    func accepts(user: String, token: [UInt8], scramble: [UInt8]) -> Bool {
        guard user == self.user else { return false }
        if hasEmptyPassword { return token.isEmpty }
        return MySQLNativePassword.verify(token: token, scramble: scramble, storedHash: storedHash)
    }
}
