import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@testable import MySQLWire

@Suite struct PacketTests {
    @Test func lengthEncodedIntegersRoundTripAtEveryWidth() {
        for v: UInt64 in [0, 1, 250, 251, 252, 65535, 65536, 0xFF_FFFF, 0x100_0000, .max] {
            var b = ByteBuffer()
            let n = b.writeLengthEncodedInteger(v)
            #expect(n == b.readableBytes)
            #expect(b.readLengthEncodedInteger() == v)
            #expect(b.readableBytes == 0)
        }
        var null = ByteBuffer(bytes: [0xFB])
        #expect(null.readLengthEncodedInteger() == nil)
        var short = ByteBuffer(bytes: [0xFC, 0x01])
        #expect(short.readLengthEncodedInteger() == nil)
        #expect(short.readableBytes == 2, "a short read consumes nothing")
    }

    @Test func decoderHandlesAnySplitOfTheInput() throws {
        var a = ByteBuffer.packet(0) { $0.writeString("\u{03}SELECT 1") }
        a.writeImmutableBuffer(.packet(1) { $0.writeString("") })
        let expected = [
            MySQLPacket(sequenceID: 0, payload: ByteBuffer(string: "\u{03}SELECT 1")),
            MySQLPacket(sequenceID: 1, payload: ByteBuffer()),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: [(a, expected)]) { MySQLPacketDecoder() }
    }

    @Test func payloadsOf16MiBAreSplitAndJoined() throws {
        for size in [
            MySQLPacket.maxFramePayload - 1, MySQLPacket.maxFramePayload, MySQLPacket.maxFramePayload + 10,
            2 * MySQLPacket.maxFramePayload,
        ] {
            var encoder = MySQLMessageEncoder(startingAt: 3)
            encoder.packet { $0.writeRepeatingByte(0x61, count: size) }
            let frames = size / MySQLPacket.maxFramePayload + 1
            #expect(encoder.sequenceID == UInt8(3 + frames), "size \(size): one frame per 16 MiB plus the last")
            #expect(encoder.buffer.readableBytes == size + 4 * frames)
            var bytes = encoder.buffer
            let packet = try #require(try MySQLPacketDecoder(maxPacketSize: 1 << 26).readPacket(&bytes))
            #expect(packet.payload.readableBytes == size)
            #expect(packet.sequenceID == UInt8(3 + frames - 1), "the reply continues from the last frame's id")
            #expect(bytes.readableBytes == 0)
        }
    }

    @Test func oversizedPacketIsRefusedFromItsHeader() {
        var header = ByteBuffer(bytes: [0x00, 0x00, 0x10, 0x00])  // announces 1 MiB
        #expect(throws: MySQLPacketDecoder.DecodingError.packetTooLarge(size: 1 << 20, limit: 1000)) {
            try MySQLPacketDecoder(maxPacketSize: 1000).readPacket(&header)
        }
    }

    @Test func truncatedPacketAtEndOfStreamIsAnError() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(MySQLPacketDecoder()))
        try channel.writeInbound(ByteBuffer(bytes: [0x05, 0x00, 0x00, 0x00, 0x03, 0x41]))
        #expect(throws: MySQLPacketDecoder.DecodingError.truncated(bufferedBytes: 6)) {
            try channel.finish()
        }
    }

    @Test func sha1MatchesKnownVectors() {
        func hex(_ b: [UInt8]) -> String { b.map { String(format2: $0) }.joined() }
        #expect(hex(SHA1.hash(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(SHA1.hash([UInt8]())) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(hex(SHA1.hash(long)) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        // MySQL's PASSWORD('secret') is '*' + hex(SHA1(SHA1('secret'))).
        #expect(hex(MySQLNativePassword.storedHash(password: "secret")).uppercased() == "14E65567ABDB5135D0CFD9A70B3032C179A49EE7")
    }

    @Test func nativePasswordTokensVerifyOnlyWithTheRightPassword() {
        let scramble = MySQLHandshake.makeScramble()
        let stored = MySQLNativePassword.storedHash(password: "s3cret")
        #expect(MySQLNativePassword.verify(token: MySQLNativePassword.token(password: "s3cret", scramble: scramble), scramble: scramble, storedHash: stored))
        #expect(!MySQLNativePassword.verify(token: MySQLNativePassword.token(password: "s3creT", scramble: scramble), scramble: scramble, storedHash: stored))
        #expect(!MySQLNativePassword.verify(token: [], scramble: scramble, storedHash: stored))
        #expect(!scramble.contains(0), "the scramble survives being NUL-terminated")
    }

    @Test func handshakeHasTheLayoutClientsParse() {
        var peer = TestPeer()
        var encoder = MySQLMessageEncoder(startingAt: 0)
        let scramble = Array(UInt8(0x41)...UInt8(0x54))
        encoder.handshake(MySQLHandshake(serverVersion: "5.7.99-alco-test", connectionID: 7, scramble: scramble))
        try? peer.feed(encoder.buffer)
        #expect(peer.packets.first?.sequenceID == 0)
        #expect(
            peer.next(afterHandshake: false)
                == .handshake(
                    version: "5.7.99-alco-test", connectionID: 7, capabilities: MySQLCapabilities.server.rawValue, scramble: scramble,
                    plugin: "mysql_native_password"))
    }

    @Test func handshakeResponseRoundTrips() throws {
        let login = MySQLHandshakeResponse(
            capabilities: [
                .protocol41, .secureConnection, .connectWithDB, .pluginAuth,
                .pluginAuthLengthEncodedData,
            ],
            user: "alco", authResponse: Array(repeating: 7, count: 20), database: "logs",
            authPlugin: "mysql_native_password")
        var b = ByteBuffer()
        login.encode(into: &b)
        #expect(try MySQLHandshakeResponse.decode(b) == login)
        #expect(throws: MySQLHandshakeResponse.DecodingError.self) { try MySQLHandshakeResponse.decode(b.getSlice(at: 0, length: 40)!) }
    }
}

extension String {
    init(format2 byte: UInt8) {
        let s = String(byte, radix: 16)
        self = s.count == 1 ? "0" + s : s
    }
}
