import NIOCore

/// Settings of the MySQL listener that the protocol itself needs.
public struct MySQLServerConfiguration: Sendable {
    /// Starts with a MySQL-style number so every client accepts it.
    public var serverVersion: String
    /// nil: accept any user and password, as Sphinx did.
    public var credentials: MySQLCredentials?
    public var maxPacketSize: Int
    /// A connection that has not logged in by then is closed, so idle sockets cannot pile up.
    public var loginTimeout: TimeAmount

    public init(
        serverVersion: String, credentials: MySQLCredentials? = nil, maxPacketSize: Int = 64 << 20,
        loginTimeout: TimeAmount = .seconds(10)
    ) {
        self.serverVersion = serverVersion
        self.credentials = credentials
        self.maxPacketSize = maxPacketSize
        self.loginTimeout = loginTimeout
    }
}

/// Runs the state machine's actions on a channel: writes what it says, hands commands to the
/// executor and writes their replies in order. Put a `MySQLPacketDecoder` in front of it.
///
/// Back-pressure both ways: while a command runs the socket is not read (a client that
/// pipelines thousands of commands waits in its own send buffer, not in our memory), and the
/// next command starts only once the channel is writable again (a client that does not read
/// its replies stops getting more work done for it).
public final class MySQLServerHandler: ChannelInboundHandler {
    public typealias InboundIn = MySQLPacket
    public typealias OutboundOut = ByteBuffer

    private var stateMachine: MySQLServerStateMachine
    private let executor: any MySQLCommandExecutor
    private let loginTimeout: TimeAmount
    private var loginTimer: Scheduled<Void>?
    /// A command is with the executor.
    private var executing = false

    public init(configuration: MySQLServerConfiguration, connectionID: UInt32, executor: any MySQLCommandExecutor) {
        self.loginTimeout = configuration.loginTimeout
        let handshake = MySQLHandshake(
            serverVersion: configuration.serverVersion, connectionID: connectionID,
            scramble: MySQLHandshake.makeScramble())
        self.stateMachine = MySQLServerStateMachine(handshake: handshake, credentials: configuration.credentials)
        self.executor = executor
    }

    public func channelActive(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        loginTimer = context.eventLoop.scheduleTask(in: loginTimeout) {
            let (handler, context) = bound.value
            handler.run(handler.stateMachine.loginTimedOut(), context: context)
        }
        run(stateMachine.connectionEstablished(), context: context)
        context.fireChannelActive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        run(stateMachine.packetReceived(unwrapInboundIn(data)), context: context)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        loginTimer?.cancel()
        stateMachine.connectionClosed()
        executor.connectionClosed()
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let e = error as? MySQLPacketDecoder.DecodingError {
            run(stateMachine.decodingFailed(e), context: context)
        } else {
            context.close(promise: nil)
        }
    }

    private func run(_ action: MySQLServerStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            return
        case .close:
            context.close(promise: nil)
        case .send(let message, let sequenceID, let thenClose):
            var encoder = MySQLMessageEncoder(allocator: context.channel.allocator, startingAt: sequenceID)
            switch message {
            case .handshake(let h): encoder.handshake(h)
            case .authSwitch(let plugin, let data): encoder.authSwitchRequest(plugin: plugin, data: data)
            case .ok(let status): encoder.ok(status: status)
            case .eof(let status): encoder.eof(status: status)
            case .error(let e): encoder.error(e)
            }
            let written = context.writeAndFlush(wrapOutboundOut(encoder.buffer))
            if thenClose {
                let channel = context.channel
                written.whenComplete { _ in channel.close(promise: nil) }
            }
        case .acceptLogin(let login, let sequenceID):
            loginTimer?.cancel()
            loginTimer = nil
            let status = executor.loggedIn(login)
            stateMachine.loginAccepted(status: status)
            var encoder = MySQLMessageEncoder(allocator: context.channel.allocator, startingAt: sequenceID)
            encoder.ok(status: status)
            context.writeAndFlush(wrapOutboundOut(encoder.buffer), promise: nil)
        case .execute(let command, let sequenceID):
            executing = true
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
            let allocator = context.channel.allocator
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            executor.execute(command) { reply in
                // Framed where the executor replies: for a write, on its thread, off the event loop.
                var encoder = MySQLMessageEncoder(allocator: allocator, startingAt: sequenceID)
                encoder.reply(reply)
                let bytes = encoder.buffer
                loop.execute {
                    let (handler, context) = bound.value
                    handler.commandFinished(bytes, status: reply.status, context: context)
                }
            }
        }
    }

    private func commandFinished(_ bytes: ByteBuffer, status: MySQLStatusFlags, context: ChannelHandlerContext) {
        executing = false
        guard !stateMachine.isClosed else { return }
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        stateMachine.commandFinished(status: status)
        runQueued(context: context)
    }

    /// Starts the next pipelined command once the client has taken our replies; reads again
    /// when none is left.
    private func runQueued(context: ChannelHandlerContext) {
        guard !executing, !stateMachine.isClosed, context.channel.isWritable else { return }
        while let next = stateMachine.nextQueuedAction() {
            run(next, context: context)
            if case .execute = next { return }
        }
        context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { runQueued(context: context) }
        context.fireChannelWritabilityChanged()
    }
}
