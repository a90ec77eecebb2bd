import NIOCore
import XCTest

@testable import SphinxAPI

final class ConnectionStateMachineTests: XCTestCase {
    func request(_ command: APICommand, version: UInt16 = 0x100, body: [UInt8]) -> APIFrame {
        .request(command: command.rawValue, version: version, body: ByteBuffer(bytes: body))
    }

    func testAOneShotConnectionEndsAfterItsReply() {
        var m = APIConnectionStateMachine()
        XCTAssertEqual(m.frameReceived(.handshake(version: 1)), .none)
        guard case .reply(_, let close) = m.frameReceived(request(.ping, body: [0, 0, 0, 7])) else { return XCTFail() }
        XCTAssertTrue(close)
        XCTAssertTrue(m.isClosed)
    }

    func testPersistKeepsTheConnectionForTheNextRequest() {
        var m = APIConnectionStateMachine()
        _ = m.frameReceived(.handshake(version: 1))
        XCTAssertEqual(m.frameReceived(request(.persist, body: [0, 0, 0, 1])), .none)
        for cookie: UInt8 in 1...3 {
            guard case .reply(var bytes, let close) = m.frameReceived(request(.ping, body: [0, 0, 0, cookie])) else { return XCTFail() }
            XCTAssertFalse(close)
            XCTAssertEqual(bytes.readBytes(length: bytes.readableBytes), [0, 0, 1, 0, 0, 0, 0, 4, 0, 0, 0, cookie])
        }
        guard case .execute = m.frameReceived(request(.status, version: 0x101, body: [0, 0, 0, 1])) else { return XCTFail() }
        guard case .reply(_, false) = m.executionFinished(ByteBuffer()) else { return XCTFail() }
    }

    func testBadFramesGetSearchdsErrors() {
        var m = APIConnectionStateMachine()
        _ = m.frameReceived(.handshake(version: 1))
        XCTAssertEqual(
            m.frameReceived(.oversized(command: 0, length: 1 << 30)),
            .reply(APIWriter.errorReply("invalid command (code=0, len=1073741824)"), thenClose: true))
        var n = APIConnectionStateMachine()
        _ = n.frameReceived(.handshake(version: 1))
        XCTAssertEqual(
            n.frameReceived(.request(command: 77, version: 1, body: ByteBuffer())),
            .reply(APIWriter.errorReply("invalid command (code=77, len=0)"), thenClose: true))
        var o = APIConnectionStateMachine()
        _ = o.frameReceived(.handshake(version: 1))
        guard case .reply(var bytes, true) = o.frameReceived(request(.search, version: 0x11F, body: [0, 0, 0, 14, 0, 0])) else {
            return XCTFail()
        }
        XCTAssertEqual(bytes.readInteger(as: UInt16.self), 1)  // SEARCHD_ERROR
        XCTAssertEqual(bytes.readInteger(as: UInt16.self), 0)
        _ = bytes.readInteger(as: UInt32.self)
        var r = APIReader(bytes)
        XCTAssertEqual(try r.readString(), "invalid or truncated request")
    }

    func testAWrongHandshakeEndsTheConnection() {
        var m = APIConnectionStateMachine()
        XCTAssertEqual(m.frameReceived(.handshake(version: 0x4745_5420)), .close)  // "GET "
    }

    func testTheFrameDecoderRefusesAnOversizedBodyFromItsHeader() {
        var d = APIFrameDecoder(maxRequestSize: 1024)
        var b = ByteBuffer(bytes: [0, 0, 0, 1, 0, 0, 1, 0x1F, 0, 0, 0x10, 0])
        XCTAssertEqual(d.next(&b), .handshake(version: 1))
        XCTAssertEqual(d.next(&b), .oversized(command: 0, length: 4096))
        var partial = ByteBuffer(bytes: [0, 9, 1, 0, 0, 0, 0, 4, 0, 0])
        var e = APIFrameDecoder()
        var hs = ByteBuffer(bytes: [0, 0, 0, 1])
        _ = e.next(&hs)
        XCTAssertNil(e.next(&partial))
        partial.writeBytes([0, 5])
        XCTAssertEqual(e.next(&partial), .request(command: 9, version: 0x100, body: ByteBuffer(bytes: [0, 0, 0, 5])))
    }
}
