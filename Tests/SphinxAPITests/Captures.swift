import Foundation
import NIOCore

/// What a real Sphinx 2.2.11 master and its two real agents said to each other
/// (Fixtures/sphinxapi/captures.json, written by Tests/Integration/sphinxapi_capture.py).
struct Captures: Decodable {
    struct Connection: Decodable {
        var fresh: Bool
        /// Frames the master sent (hex): the handshake first on a fresh connection.
        var up: [String]
        /// Frames the agent sent back.
        var down: [String]
    }

    struct Exchange: Decodable {
        var sql: String
        var agents: [[Connection]]
    }

    var agentRows: [[[String]]]
    var exchanges: [Exchange]

    enum CodingKeys: String, CodingKey {
        case agentRows = "agent_rows", exchanges
    }

    static let shared: Captures = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let data = try! Data(contentsOf: root.appendingPathComponent("Fixtures/sphinxapi/captures.json"))
        return try! JSONDecoder().decode(Captures.self, from: data)
    }()

    /// Every (request, reply) pair an agent saw, with the statement that caused it.
    var pairs: [(sql: String, agent: Int, request: ByteBuffer, reply: ByteBuffer)] {
        var out: [(String, Int, ByteBuffer, ByteBuffer)] = []
        for e in exchanges {
            for (k, connections) in e.agents.enumerated() {
                for c in connections {
                    let requests = c.up.filter { $0.count > 8 }.map(Self.buffer)
                    let replies = c.down.filter { $0.count > 8 }.map(Self.buffer)
                    let searches = requests.filter { $0.getInteger(at: 0, as: UInt16.self) == 0 }
                    for (q, r) in zip(searches, replies) { out.append((e.sql, k, q, r)) }
                }
            }
        }
        return out
    }

    static func buffer(_ hex: String) -> ByteBuffer {
        var bytes: [UInt8] = []
        var it = hex.utf8.makeIterator()
        func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
        while let a = it.next(), let b = it.next() { bytes.append(nibble(a) << 4 | nibble(b)) }
        return ByteBuffer(bytes: bytes)
    }
}
