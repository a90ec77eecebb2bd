import NIOCore

/// One connection's protocol, as a value: frames in, actions out. searchd's rules: the
/// server's version goes first; a connection serves one request and ends unless the client
/// has asked for it to persist (a master's `agent_persistent`); PING and PERSIST are answered
/// here; a frame that cannot be read gets an error reply (and, when the stream can no longer
/// be framed, the end of the connection).
public struct APIConnectionStateMachine: Sendable {
    enum State: Sendable {
        case awaitingHandshake
        case ready
        case executing
        case closed
    }

    public enum Action: Equatable, Sendable {
        case none
        case reply(ByteBuffer, thenClose: Bool)
        case execute(APIRequest)
        case close
    }

    private var state = State.awaitingHandshake
    public private(set) var isPersistent = false

    public init() {}

    public var isClosed: Bool { if case .closed = state { return true } else { return false } }

    public mutating func frameReceived(_ frame: APIFrame) -> Action {
        switch (state, frame) {
        case (.closed, _):
            return .none
        case (.awaitingHandshake, .handshake(let version)):
            // Some old clients sent the version in host order.
            guard version == APIProtocol.version || version == 0x0100_0000 else {
                state = .closed
                return .close
            }
            state = .ready
            return .none
        case (.executing, _), (.awaitingHandshake, _), (.ready, .handshake):
            // One request at a time: a master waits for each reply.
            state = .closed
            return .close
        case (.ready, .oversized(let command, let length)):
            state = .closed
            return .reply(APIWriter.errorReply("invalid command (code=\(command), len=\(length))"), thenClose: true)
        case (.ready, .request(let code, let version, let body)):
            guard let command = APICommand(rawValue: code) else {
                return finished(APIWriter.errorReply("invalid command (code=\(code), len=\(body.readableBytes))"))
            }
            switch command {
            case .persist:
                var r = APIReader(body)
                isPersistent = ((try? r.readUInt32()) ?? 0) != 0
                return .none
            case .ping:
                var r = APIReader(body)
                guard let cookie = try? r.readUInt32() else {
                    return finished(APIWriter.errorReply(APIDecodingError.truncated.description))
                }
                return finished(APIPingReply.reply(cookie: cookie))
            default:
                do {
                    let request = try APIRequest.decode(command: command, version: version, body: body)
                    state = .executing
                    return .execute(request)
                } catch {
                    return finished(APIWriter.errorReply(String(describing: error)))
                }
            }
        }
    }

    /// The executor's reply is ready.
    public mutating func executionFinished(_ reply: ByteBuffer) -> Action {
        guard case .executing = state else { return .none }
        state = .ready
        return finished(reply)
    }

    public mutating func connectionClosed() {
        state = .closed
    }

    /// A reply, then the end of the connection unless it persists.
    private mutating func finished(_ reply: ByteBuffer) -> Action {
        if !isPersistent { state = .closed }
        return .reply(reply, thenClose: !isPersistent)
    }
}
