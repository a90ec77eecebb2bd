import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

@testable import MySQLWire

/// An executor that answers from a table: the wire module's tests need a peer on each side,
/// not SQL.
final class ScriptedExecutor: MySQLCommandExecutor, Sendable {
    let answers: [String: MySQLReply]
    let log = NIOLockedValueBox<[String]>([])

    init(_ answers: [String: MySQLReply]) { self.answers = answers }

    func loggedIn(_ login: MySQLHandshakeResponse) -> MySQLStatusFlags {
        log.withLockedValue { $0.append("login \(login.user) \(login.database ?? "-")") }
        return .autocommit
    }

    func execute(_ command: MySQLCommand, completion: @escaping @Sendable (MySQLReply) -> Void) {
        guard case .query(let q) = command else {
            log.withLockedValue { $0.append("\(command)") }
            return completion(MySQLReply([.ok(affectedRows: 0)]))
        }
        log.withLockedValue { $0.append(q) }
        completion(answers[q] ?? MySQLReply([.error(.syntax("sphinxql: syntax error near '\(q.prefix(40))'"))]))
    }

    func connectionClosed() { log.withLockedValue { $0.append("closed") } }
}

@Suite struct HandlerTests {
    let channel: EmbeddedChannel
    let executor: ScriptedExecutor

    init() throws {
        let columns = [MySQLColumn(name: "id", type: .longlong, flags: MySQLColumn.numericFlag), MySQLColumn(name: "logline", type: .string)]
        let big = String(repeating: "x", count: MySQLPacket.maxFramePayload + 100)
        executor = ScriptedExecutor([
            "SELECT id, logline FROM logs": MySQLReply([.resultSet(columns: columns, rows: [["1", "a"], ["2", nil]])]),
            "SELECT 1; SHOW META": MySQLReply(
                [
                    .resultSet(columns: [MySQLColumn(name: "1", type: .long)], rows: [["1"]]),
                    .resultSet(columns: [MySQLColumn(name: "Variable_name", type: .string)], rows: [["total"]]),
                ], status: []),
            "REPLACE": MySQLReply([.ok(affectedRows: 3)]),
            "BIG": MySQLReply([.resultSet(columns: [MySQLColumn(name: "logline", type: .string)], rows: [[big]])]),
        ])
        channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(MySQLPacketDecoder(maxPacketSize: 1 << 20)))
        try channel.pipeline.syncOperations.addHandler(
            MySQLServerHandler(configuration: MySQLServerConfiguration(serverVersion: "5.7.99-alco"), connectionID: 42, executor: executor))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    }

    func drain() throws -> TestPeer {
        channel.embeddedEventLoop.run()
        var peer = TestPeer()
        while let out = try channel.readOutbound(as: ByteBuffer.self) { try peer.feed(out) }
        return peer
    }

    func loggedIn() throws {
        var peer = try drain()
        guard case .handshake(let version, let id, _, _, _)? = peer.next(afterHandshake: false) else {
            Issue.record("no greeting"); return
        }
        #expect(version == "5.7.99-alco" && id == 42)
        var b = ByteBuffer()
        MySQLHandshakeResponse(
            capabilities: [.protocol41, .secureConnection, .connectWithDB], user: "django",
            authResponse: [], database: "alco"
        ).encode(into: &b)
        try channel.writeInbound(ByteBuffer.packet(1) { $0.writeImmutableBuffer(b) })
        var after = try drain()
        #expect(after.packets.first?.sequenceID == 2)
        #expect(after.next() == .ok(affected: 0, status: 2))
    }

    func send(_ command: MySQLCommand) throws -> TestPeer {
        try channel.writeInbound(ByteBuffer.packet(0) { command.encode(into: &$0) })
        return try drain()
    }

    @Test func loginThenResultSet() throws {
        try loggedIn()
        var peer = try send(.query("SELECT id, logline FROM logs"))
        #expect(peer.packets.map(\.sequenceID) == Array(1...7), "count, 2 columns, EOF, 2 rows, EOF")
        #expect(peer.next() == .resultSet(columns: [("id", 8, 0x8000), ("logline", 0xFE, 0)], rows: [["1", "a"], ["2", nil]], status: 2))
        #expect(executor.log.withLockedValue { $0 } == ["login django alco", "SELECT id, logline FROM logs"])
    }

    @Test func multiStatementRepliesSayMoreResultsFollow() throws {
        try loggedIn()
        var peer = try send(.query("SELECT 1; SHOW META"))
        #expect(peer.next() == .resultSet(columns: [("1", 3, 0)], rows: [["1"]], status: 0x0008))
        #expect(peer.next() == .resultSet(columns: [("Variable_name", 0xFE, 0)], rows: [["total"]], status: 0))
        #expect(peer.next() == nil)
    }

    @Test func okErrorPingAndFieldList() throws {
        try loggedIn()
        var a = try send(.query("REPLACE"))
        #expect(a.next() == .ok(affected: 3, status: 2))
        var b = try send(.query("SELEC"))
        #expect(b.next() == .error(code: 1064, sqlState: "42000", message: "sphinxql: syntax error near 'SELEC'"))
        var c = try send(.ping)
        #expect(c.next() == .ok(affected: 0, status: 2))
        var d = try send(.fieldList(table: "logs"))
        #expect(d.next() == .eof(status: 2))
        var e = try send(.prepare("SELECT ?"))
        guard case .error(1295, "HY000", _)? = e.next() else { Issue.record("prepare not refused"); return }
        #expect(channel.isActive, "errors keep the connection")
    }

    @Test func rowsLargerThanAFrameAreSplit() throws {
        try loggedIn()
        var peer = try send(.query("BIG"))
        guard case .resultSet(_, let rows, _)? = peer.next() else { Issue.record("no result"); return }
        #expect(rows.first?.first??.count == MySQLPacket.maxFramePayload + 100)
    }

    @Test func largeClientPacketsAreJoined() throws {
        try loggedIn()
        // A query just over one frame arrives as two frames; the reply continues their numbering.
        let q = "SELECT '" + String(repeating: "y", count: MySQLPacket.maxFramePayload) + "'"
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(MySQLPacketDecoder(maxPacketSize: 32 << 20)))
        try channel.pipeline.syncOperations.addHandler(
            MySQLServerHandler(configuration: MySQLServerConfiguration(serverVersion: "5.7.99"), connectionID: 1, executor: executor))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        _ = try channel.readOutbound(as: ByteBuffer.self)
        var b = ByteBuffer()
        MySQLHandshakeResponse(capabilities: [.protocol41, .secureConnection], user: "u", authResponse: []).encode(into: &b)
        try channel.writeInbound(ByteBuffer.packet(1) { $0.writeImmutableBuffer(b) })
        _ = try channel.readOutbound(as: ByteBuffer.self)
        try channel.writeInbound(ByteBuffer.packet(0) { MySQLCommand.query(q).encode(into: &$0) })
        channel.embeddedEventLoop.run()
        var peer = TestPeer()
        try peer.feed(try #require(try channel.readOutbound(as: ByteBuffer.self)))
        #expect(peer.packets.first?.sequenceID == 2)
        #expect(executor.log.withLockedValue { $0.last?.count } == q.utf8.count)
    }

    @Test func oversizedPacketEndsOnlyThatConnectionWithAnError() throws {
        try loggedIn()
        var header = ByteBuffer(bytes: [0x00, 0x00, 0x20, 0x00])  // 2 MiB, over the 1 MiB limit
        header.writeString("\u{03}SELECT")
        try channel.writeInbound(header)
        var peer = try drain()
        guard case .error(1153, "08S01", _)? = peer.next() else { Issue.record("no error packet"); return }
        #expect(!channel.isActive)
        #expect(executor.log.withLockedValue { $0.last } == "closed")
    }

    @Test func silentClientsAreDroppedAfterTheLoginTimeout() throws {
        _ = try drain()
        channel.embeddedEventLoop.advanceTime(by: .seconds(11))
        var peer = try drain()
        guard case .error(1043, "08S01", _)? = peer.next() else { Issue.record("no timeout error"); return }
        #expect(!channel.isActive)
    }

    @Test func loggedInClientsOutliveTheLoginTimeout() throws {
        try loggedIn()
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        var peer = try send(.ping)
        #expect(peer.next() == .ok(affected: 0, status: 2))
    }

    @Test func somethingThatIsNotALoginIsRefusedAtOnce() throws {
        _ = try drain()
        // An HTTP request read as a MySQL header announces a 5 MB packet.
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\n"))
        var peer = try drain()
        #expect(peer.next() == .error(code: 1043, sqlState: "08S01", message: "Bad handshake"))
        #expect(!channel.isActive)
    }

    @Test func quitClosesCleanly() throws {
        try loggedIn()
        _ = try send(.quit)
        #expect(!channel.isActive)
    }
}
