import AlcoIndex
import CoreMetrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SphinxAPI

/// The SphinxAPI listener of `alco serve` (searchd's port 9312): what a master searchd's
/// distributed index fans its queries out to, and what SphinxAPI clients talk to.
public final class SphinxAPIListener: Sendable {
    private let executor: AgentExecutor
    private let group: any EventLoopGroup
    private let ownsGroup: Bool
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)
    /// Connections open now, as `alco_connections_open{protocol="sphinxapi"}`.
    private let openConnections = Meter(label: "alco_connections_open", dimensions: [("protocol", "sphinxapi")])
    public let maxRequestSize: Int

    public init(
        catalog: Catalog, group: (any EventLoopGroup)? = nil, queryTimeoutMilliseconds: Int? = nil,
        maxRequestSize: Int = APIFrameDecoder.defaultMaxRequestSize
    ) {
        self.executor = AgentExecutor(catalog: catalog, queryTimeoutMilliseconds: queryTimeoutMilliseconds, lanes: System.coreCount)
        self.group = group ?? MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.ownsGroup = group == nil
        self.maxRequestSize = maxRequestSize
    }

    /// Binds and starts accepting; returns the bound address (port 0 picks a free port).
    @discardableResult
    public func start(host: String, port: Int) throws -> SocketAddress {
        let executor = self.executor
        let maxRequestSize = self.maxRequestSize
        let openConnections = self.openConnections
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                openConnections.increment()
                channel.closeFuture.whenComplete { _ in openConnections.decrement() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(APIFrameDecoder(maxRequestSize: maxRequestSize)))
                    try channel.pipeline.syncOperations.addHandler(APIServerHandler(executor: executor))
                }
            }
        let bound = try bootstrap.bind(host: host, port: port).wait()
        channel.withLockedValue { $0 = bound }
        return bound.localAddress!
    }

    public func stop() {
        let c = channel.withLockedValue { c in
            defer { c = nil }
            return c
        }
        try? c?.close().wait()
        if ownsGroup { try? group.syncShutdownGracefully() }
    }
}
