/// The server side of one MySQL connection as a value: events in, actions out. It knows the
/// protocol's phases and sequence ids, not sockets or SQL.
public struct MySQLServerStateMachine {
    /// A message the server sends on its own, without asking the executor.
    public enum Message: Equatable, Sendable {
        case handshake(MySQLHandshake)
        case authSwitch(plugin: String, data: [UInt8])
        case ok(MySQLStatusFlags)
        case eof(MySQLStatusFlags)
        case error(MySQLServerError)
    }

    public enum Action: Equatable, Sendable {
        case send(Message, sequenceID: UInt8, thenClose: Bool)
        /// The login is valid: tell the executor who this is, then send OK at `sequenceID`.
        case acceptLogin(MySQLHandshakeResponse, sequenceID: UInt8)
        /// Run a command; its reply starts at `sequenceID`. Call `commandFinished` after.
        case execute(MySQLCommand, sequenceID: UInt8)
        case close
        /// Nothing to do now (a packet waits for the running command, or none is expected).
        case none
    }

    enum State: Equatable {
        case initial
        case awaitingLogin
        case awaitingAuthSwitchReply(MySQLHandshakeResponse)
        case ready
        case executing
        case closed
    }

    private(set) var state = State.initial
    private var queued: [MySQLPacket] = []
    public let handshake: MySQLHandshake
    public let credentials: MySQLCredentials?
    /// The session's status as of the last reply, carried by OK and EOF packets we make up.
    public private(set) var status: MySQLStatusFlags = .autocommit

    public init(handshake: MySQLHandshake, credentials: MySQLCredentials?) {
        self.handshake = handshake
        self.credentials = credentials
    }

    public var isClosed: Bool { state == .closed }
    public var isLoggedIn: Bool { state == .ready || state == .executing }

    /// The client did not log in within the allowed time.
    public mutating func loginTimedOut() -> Action {
        guard state == .awaitingLogin || state == .initial || isAuthSwitching else { return .none }
        state = .closed
        return .send(.error(.loginTimeout), sequenceID: 0, thenClose: true)
    }

    private var isAuthSwitching: Bool {
        if case .awaitingAuthSwitchReply = state { return true }
        return false
    }

    public mutating func connectionEstablished() -> Action {
        guard state == .initial else { return .none }
        state = .awaitingLogin
        return .send(.handshake(handshake), sequenceID: 0, thenClose: false)
    }

    public mutating func packetReceived(_ packet: MySQLPacket) -> Action {
        switch state {
        case .initial, .closed:
            return .none
        case .awaitingLogin:
            return loginReceived(packet)
        case .awaitingAuthSwitchReply(let login):
            let token = Array(packet.payload.readableBytesView)
            return authenticate(login, token: token, nextSequenceID: packet.sequenceID &+ 1)
        case .ready:
            return commandReceived(packet)
        case .executing:
            // Clients rarely pipeline, but when they do the commands run in order.
            queued.append(packet)
            return .none
        }
    }

    /// The executor took the login; `status` is the session's, for the OK and what follows.
    public mutating func loginAccepted(status: MySQLStatusFlags) {
        self.status = status
    }

    /// The executor finished the running command. Packets that arrived meanwhile come out of
    /// `nextQueuedAction()`.
    public mutating func commandFinished(status: MySQLStatusFlags) {
        self.status = status
        if state == .executing { state = .ready }
    }

    /// The action for the next packet that waited while a command ran, if it may run now.
    public mutating func nextQueuedAction() -> Action? {
        guard state == .ready, !queued.isEmpty else { return nil }
        return commandReceived(queued.removeFirst())
    }

    public mutating func decodingFailed(_ error: MySQLPacketDecoder.DecodingError) -> Action {
        guard state != .closed else { return .none }
        let wasLoggingIn = state == .awaitingLogin
        state = .closed
        switch error {
        case .packetTooLarge where wasLoggingIn:
            return .send(.error(.badHandshake), sequenceID: 0, thenClose: true)
        case .packetTooLarge:
            return .send(.error(.packetTooLarge), sequenceID: 0, thenClose: true)
        case .truncated:
            return .close
        }
    }

    public mutating func connectionClosed() {
        state = .closed
    }

    // MARK: phases

    private mutating func loginReceived(_ packet: MySQLPacket) -> Action {
        let next = packet.sequenceID &+ 1
        let login: MySQLHandshakeResponse
        do {
            login = try MySQLHandshakeResponse.decode(packet.payload)
        } catch {
            state = .closed
            let e: MySQLServerError = error == .sslRequested ? .sslUnsupported : .badHandshake
            return .send(.error(e), sequenceID: next, thenClose: true)
        }
        guard credentials != nil else {
            // No account configured: everyone is welcome, whatever plugin they hash with.
            state = .ready
            return .acceptLogin(login, sequenceID: next)
        }
        if let plugin = login.authPlugin, !plugin.isEmpty, plugin != MySQLNativePassword.pluginName {
            state = .awaitingAuthSwitchReply(login)
            return .send(.authSwitch(plugin: MySQLNativePassword.pluginName, data: handshake.scramble), sequenceID: next, thenClose: false)
        }
        return authenticate(login, token: login.authResponse, nextSequenceID: next)
    }

    private mutating func authenticate(_ login: MySQLHandshakeResponse, token: [UInt8], nextSequenceID: UInt8) -> Action {
        let accepted = credentials?.accepts(user: login.user, token: token, scramble: handshake.scramble) ?? true
        if accepted {
            state = .ready
            return .acceptLogin(login, sequenceID: nextSequenceID)
        }
        state = .closed
        return .send(.error(.accessDenied(user: login.user, usingPassword: !token.isEmpty)), sequenceID: nextSequenceID, thenClose: true)
    }

    private mutating func commandReceived(_ packet: MySQLPacket) -> Action {
        let next = packet.sequenceID &+ 1
        guard let command = MySQLCommand.decode(packet.payload) else {
            return .send(.error(.unknownCommand(0)), sequenceID: next, thenClose: false)
        }
        switch command {
        case .quit:
            state = .closed
            return .close
        case .ping:
            return .send(.ok(status), sequenceID: next, thenClose: false)
        case .fieldList:
            // Sphinx has no column metadata to list; an empty list is the honest answer.
            return .send(.eof(status), sequenceID: next, thenClose: false)
        case .setOption:
            return .send(.eof(status), sequenceID: next, thenClose: false)
        case .prepare:
            return .send(.error(.preparedStatementsUnsupported), sequenceID: next, thenClose: false)
        case .closeStatement:
            return .none
        case .statistics:
            return .send(.error(.unknownCommand(0x09)), sequenceID: next, thenClose: false)
        case .unsupported(let code):
            return .send(.error(.unknownCommand(code)), sequenceID: next, thenClose: false)
        case .query, .initDB, .resetConnection:
            state = .executing
            return .execute(command, sequenceID: next)
        }
    }
}
