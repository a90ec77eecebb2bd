import AlcoIndex
import CoreMetrics
import MySQLWire
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SphinxQLExecution

/// The SphinxQL listener of `alco serve`: accepts MySQL connections and gives each its own
/// session on the catalog.
///
/// Searches run on the listener's event loops (one per core, not shared with HTTP): a search
/// takes tenths of a millisecond, and handing it to another thread and the reply back cost a
/// quarter of the CPU of each query in context switches (measured under 64 connections); a
/// pool of one thread per core would give a slow query the same two lanes to hold. Writes,
/// which wait for the WAL's fsync, run off the loops (see `SessionExecutor`).
public final class MySQLListener: Sendable {
    public let catalog: Catalog
    public let configuration: MySQLServerConfiguration
    private let group: any EventLoopGroup
    private let channel: NIOLockedValueBox<(any Channel)?> = NIOLockedValueBox(nil)
    private let nextConnectionID = NIOLockedValueBox<UInt32>(1)
    private let ownsGroup: Bool
    /// The bound on any statement's time (serve's `--query-timeout`; nil: none).
    public let queryTimeoutMilliseconds: Int?
    /// Where each connection logs its statements (nil: nowhere).
    public let statementLog: StatementLog?
    /// Connections open now, as `alco_connections_open{protocol="sphinxql"}`.
    private let openConnections = Meter(label: "alco_connections_open", dimensions: [("protocol", "sphinxql")])

    public init(
        catalog: Catalog, configuration: MySQLServerConfiguration = MySQLServerConfiguration(serverVersion: ServerInfo.version),
        group: (any EventLoopGroup)? = nil, queryTimeoutMilliseconds: Int? = nil, statementLog: StatementLog? = nil
    ) {
        self.catalog = catalog
        self.configuration = configuration
        self.queryTimeoutMilliseconds = queryTimeoutMilliseconds
        self.statementLog = statementLog
        self.group = group ?? MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        self.ownsGroup = group == nil
    }

    /// Binds and starts accepting; returns the bound address (port 0 picks a free port).
    @discardableResult
    public func start(host: String, port: Int) throws -> SocketAddress {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                let id = nextConnectionID.withLockedValue { v in
                    defer { v = v &+ 1 == 0 ? 1 : v &+ 1 }
                    return v
                }
                let executor = SessionExecutor(
                    catalog: catalog, connectionID: id, queryTimeoutMilliseconds: queryTimeoutMilliseconds, statementLog: statementLog)
                openConnections.increment()
                channel.closeFuture.whenComplete { [openConnections] _ in openConnections.decrement() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(MySQLPacketDecoder(maxPacketSize: configuration.maxPacketSize)))
                    try channel.pipeline.syncOperations.addHandler(
                        MySQLServerHandler(configuration: configuration, connectionID: id, executor: executor))
                }
            }
        let bound = try bootstrap.bind(host: host, port: port).wait()
        channel.withLockedValue { $0 = bound }
        return bound.localAddress!
    }

    /// Stops accepting; open connections end with the process.
    public func stop() {
        let c = channel.withLockedValue { c in
            defer { c = nil }
            return c
        }
        try? c?.close().wait()
        if ownsGroup { try? group.syncShutdownGracefully() }
    }
}
