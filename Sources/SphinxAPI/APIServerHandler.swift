import NIOCore

/// Runs the state machine's actions on a channel. Put an `APIFrameDecoder` in front of it.
/// While a request runs the socket is not read: a client that pipelines waits in its own
/// buffers, not in our memory.
public final class APIServerHandler: ChannelInboundHandler {
    public typealias InboundIn = APIFrame
    public typealias OutboundOut = ByteBuffer

    private var stateMachine = APIConnectionStateMachine()
    private let executor: any SphinxAPIExecutor
    private let idleTimeout: TimeAmount
    private var idleTimer: Scheduled<Void>?

    /// - Parameter idleTimeout: how long a connection may wait for its next request (searchd's
    ///   `read_timeout` for a fresh connection, `client_timeout` for a persistent one).
    public init(executor: any SphinxAPIExecutor, idleTimeout: TimeAmount = .seconds(300)) {
        self.executor = executor
        self.idleTimeout = idleTimeout
    }

    public func channelActive(context: ChannelHandlerContext) {
        var w = APIWriter(context.channel.allocator.buffer(capacity: 4))
        w.write(APIProtocol.version)
        context.writeAndFlush(wrapOutboundOut(w.buffer), promise: nil)
        armIdleTimer(context: context)
        context.fireChannelActive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        armIdleTimer(context: context)
        run(stateMachine.frameReceived(unwrapInboundIn(data)), context: context)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        stateMachine.connectionClosed()
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func armIdleTimer(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        let channel = context.channel
        idleTimer = context.eventLoop.scheduleTask(in: idleTimeout) { channel.close(promise: nil) }
    }

    private func run(_ action: APIConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            return
        case .close:
            context.close(promise: nil)
        case .reply(let bytes, let thenClose):
            let written = context.writeAndFlush(wrapOutboundOut(bytes))
            if thenClose {
                let channel = context.channel
                written.whenComplete { _ in channel.close(promise: nil) }
            }
        case .execute(let request):
            idleTimer?.cancel()
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            executor.execute(request) { reply in
                loop.execute {
                    let (handler, context) = bound.value
                    handler.run(handler.stateMachine.executionFinished(reply), context: context)
                    handler.armIdleTimer(context: context)
                    context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
                }
            }
        }
    }
}
