import NIOCore
import Testing

@testable import MySQLWire

@Suite struct StateMachineTests {
    static let scramble = Array(UInt8(0x41)...UInt8(0x54))
    static let handshake = MySQLHandshake(serverVersion: "5.7.99-alco", connectionID: 1, scramble: scramble)

    func login(_ user: String = "u", token: [UInt8] = [], plugin: String? = "mysql_native_password", seq: UInt8 = 1) -> MySQLPacket {
        var b = ByteBuffer()
        MySQLHandshakeResponse(
            capabilities: [.protocol41, .secureConnection, .pluginAuth, .connectWithDB], user: user,
            authResponse: token, database: "db", authPlugin: plugin
        ).encode(into: &b)
        return MySQLPacket(sequenceID: seq, payload: b)
    }

    func command(_ c: MySQLCommand, seq: UInt8 = 0) -> MySQLPacket {
        var b = ByteBuffer()
        c.encode(into: &b)
        return MySQLPacket(sequenceID: seq, payload: b)
    }

    func ready(credentials: MySQLCredentials? = nil) -> MySQLServerStateMachine {
        var m = MySQLServerStateMachine(handshake: Self.handshake, credentials: credentials)
        _ = m.connectionEstablished()
        _ = m.packetReceived(login())
        return m
    }

    @Test func greetsThenAcceptsAnyLoginWithoutCredentials() {
        var m = MySQLServerStateMachine(handshake: Self.handshake, credentials: nil)
        #expect(m.connectionEstablished() == .send(.handshake(Self.handshake), sequenceID: 0, thenClose: false))
        let action = m.packetReceived(login("anyone", token: Array(repeating: 9, count: 20), plugin: "caching_sha2_password"))
        guard case .acceptLogin(let l, let seq) = action else { Issue.record("\(action)"); return }
        #expect(l.user == "anyone" && l.database == "db" && seq == 2)
    }

    @Test func verifiesConfiguredCredentials() {
        let creds = MySQLCredentials(user: "alco", password: "pw")
        var good = MySQLServerStateMachine(handshake: Self.handshake, credentials: creds)
        _ = good.connectionEstablished()
        let token = MySQLNativePassword.token(password: "pw", scramble: Self.scramble)
        guard case .acceptLogin = good.packetReceived(login("alco", token: token)) else { Issue.record("rejected"); return }

        var bad = MySQLServerStateMachine(handshake: Self.handshake, credentials: creds)
        _ = bad.connectionEstablished()
        let wrong = MySQLNativePassword.token(password: "nope", scramble: Self.scramble)
        #expect(
            bad.packetReceived(login("alco", token: wrong))
                == .send(.error(.accessDenied(user: "alco", usingPassword: true)), sequenceID: 2, thenClose: true))
        #expect(bad.isClosed)
        #expect(bad.packetReceived(command(.ping)) == .none, "nothing runs after a refused login")
    }

    @Test func switchesOtherPluginsToNativePassword() {
        var m = MySQLServerStateMachine(handshake: Self.handshake, credentials: MySQLCredentials(user: "alco", password: "pw"))
        _ = m.connectionEstablished()
        #expect(
            m.packetReceived(login("alco", token: [1, 2, 3], plugin: "caching_sha2_password"))
                == .send(.authSwitch(plugin: "mysql_native_password", data: Self.scramble), sequenceID: 2, thenClose: false))
        let reply = MySQLPacket(sequenceID: 3, payload: ByteBuffer(bytes: MySQLNativePassword.token(password: "pw", scramble: Self.scramble)))
        guard case .acceptLogin(_, 4) = m.packetReceived(reply) else { Issue.record("switch reply refused"); return }
    }

    @Test func badHandshakesAndTLSRequestsAreRefusedClearly() {
        var m = MySQLServerStateMachine(handshake: Self.handshake, credentials: nil)
        _ = m.connectionEstablished()
        #expect(
            m.packetReceived(MySQLPacket(sequenceID: 1, payload: ByteBuffer(bytes: [1, 2])))
                == .send(.error(.badHandshake), sequenceID: 2, thenClose: true))
        var tls = MySQLServerStateMachine(handshake: Self.handshake, credentials: nil)
        _ = tls.connectionEstablished()
        var b = ByteBuffer()
        b.writeInteger((MySQLCapabilities.protocol41.rawValue | MySQLCapabilities.ssl.rawValue), endianness: .little)
        b.writeRepeatingByte(0, count: 28)
        #expect(tls.packetReceived(MySQLPacket(sequenceID: 1, payload: b)) == .send(.error(.sslUnsupported), sequenceID: 2, thenClose: true))
    }

    @Test func answersProtocolCommandsItself() {
        var m = ready()
        m.commandFinished(status: .autocommit)
        #expect(m.packetReceived(command(.ping)) == .send(.ok(.autocommit), sequenceID: 1, thenClose: false))
        #expect(m.packetReceived(command(.fieldList(table: "logs"))) == .send(.eof(.autocommit), sequenceID: 1, thenClose: false))
        #expect(m.packetReceived(command(.prepare("SELECT 1"))) == .send(.error(.preparedStatementsUnsupported), sequenceID: 1, thenClose: false))
        #expect(m.packetReceived(command(.closeStatement)) == .none)
        #expect(m.packetReceived(command(.unsupported(code: 0x30))) == .send(.error(.unknownCommand(0x30)), sequenceID: 1, thenClose: false))
        #expect(m.packetReceived(command(.quit)) == .close)
        #expect(m.isClosed)
    }

    @Test func queriesRunOneAtATimeInOrder() {
        var m = ready()
        m.commandFinished(status: .autocommit)
        #expect(m.packetReceived(command(.query("SELECT 1"))) == .execute(.query("SELECT 1"), sequenceID: 1))
        #expect(m.packetReceived(command(.query("SELECT 2"))) == .none, "waits for the first")
        #expect(m.packetReceived(command(.ping)) == .none)
        #expect(m.nextQueuedAction() == nil, "nothing starts while the first runs")
        m.commandFinished(status: [])
        #expect(m.nextQueuedAction() == .execute(.query("SELECT 2"), sequenceID: 1))
        #expect(m.nextQueuedAction() == nil)
        m.commandFinished(status: [])
        #expect(m.nextQueuedAction() == .send(.ok([]), sequenceID: 1, thenClose: false), "status follows the last reply")
        #expect(m.nextQueuedAction() == nil)
    }

    @Test func oversizedPacketGetsAnErrorAndTheConnectionEnds() {
        var m = ready()
        #expect(m.decodingFailed(.packetTooLarge(size: 100, limit: 10)) == .send(.error(.packetTooLarge), sequenceID: 0, thenClose: true))
        #expect(m.decodingFailed(.truncated(bufferedBytes: 3)) == .none)
        var t = ready()
        #expect(t.decodingFailed(.truncated(bufferedBytes: 3)) == .close)
    }
}
