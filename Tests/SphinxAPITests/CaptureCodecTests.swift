import AlcoIndex
import NIOCore
import XCTest

@testable import SphinxAPI
@testable import SphinxAPIExecution

/// The codec against what real Sphinx 2.2.11 searchd's said to each other.
final class CaptureCodecTests: XCTestCase {
    func testEveryCapturedMasterRequestDecodes() throws {
        let pairs = Captures.shared.pairs
        XCTAssertGreaterThan(pairs.count, 80)
        for (sql, _, request, _) in pairs {
            var frame = request
            var decoder = APIFrameDecoder()
            var stream = ByteBuffer(bytes: [0, 0, 0, 1])
            stream.writeBuffer(&frame)
            XCTAssertEqual(decoder.next(&stream), .handshake(version: 1))
            guard case .request(let command, let version, let body) = decoder.next(&stream) else {
                return XCTFail("no request frame: \(sql)")
            }
            XCTAssertEqual(command, APICommand.search.rawValue)
            XCTAssertEqual(version, 0x11F)
            let search = try APISearchRequest.decode(body, version: version)
            XCTAssertEqual(search.masterVersion, 14, sql)
            XCTAssertEqual(search.queries.count, 1)
            let q = search.queries[0]
            XCTAssertEqual(q.indexes, "logs", sql)
            XCTAssertEqual(q.matchMode, .extended2)
            // What the master passes on of the statement.
            if sql.contains("MATCH('authentication failure')") { XCTAssertEqual(q.query, "authentication failure") }
            if sql.contains("ORDER BY id DESC LIMIT 5") && !sql.contains("WHERE") {
                XCTAssertEqual(q.sortBy, "id DESC")
                XCTAssertEqual(q.select, "*")
                XCTAssertEqual(q.limit, 1000)  // an agent returns up to max_matches; the master cuts
            }
            if sql.contains("comment='alco capture'") {
                XCTAssertEqual(q.comment, "alco capture")
                XCTAssertEqual(q.maxMatches, 50)
            }
            if sql.contains("js.levelname = 'ERROR' ORDER BY") {
                XCTAssertEqual(q.filters, [APIFilter(attribute: "js.levelname", condition: .string("ERROR"))])
            }
            if sql.contains("js.duration_ms > 40.5") {
                XCTAssertEqual(q.filters.first?.condition, .floatRange(40.5, .greatestFiniteMagnitude))
                XCTAssertEqual(q.filters.first?.hasEqual, false)
            }
            if sql.contains("GROUP BY lvl") {
                XCTAssertEqual(q.groupBy, "lvl")
                XCTAssertEqual(q.groupSort, "c DESC")
            }
        }
    }

    /// The encoder writes, from what a Sphinx agent answered, the very bytes it sent.
    func testEncoderReproducesEveryCapturedAgentReply() throws {
        for (sql, _, _, reply) in Captures.shared.pairs {
            let results = try ReplyReader.read(reply)
            var got = APISearchResult.reply(results, masterVersion: 14)
            var want = reply
            if results.count == 1, results[0].status == .error {
                got = APIWriter.reply(
                    status: .ok, version: 0x11F,
                    body: {
                        var w = APIWriter(); results[0].encode(into: &w, masterVersion: 14); return w.buffer
                    }())
            }
            XCTAssertEqual(got.readBytes(length: got.readableBytes), want.readBytes(length: want.readableBytes), sql)
        }
    }

    /// Documents packed here are byte for byte what Sphinx packed from the same JSON text, and
    /// so are the values of `js.key` columns.
    func testPackedJSONMatchesSphinxForEveryCapturedDocument() throws {
        var byID: [UInt64: String] = [:]
        for share in Captures.shared.agentRows {
            for row in share { byID[UInt64(row[0])!] = row[2] }
        }
        var documents = 0
        var fields = 0
        for (sql, _, _, reply) in Captures.shared.pairs {
            for result in try ReplyReader.read(reply) {
                for match in result.matches {
                    let js = try JSONParser.parse(byID[match.id]!)
                    for (a, value) in zip(result.attributes, match.values) {
                        switch value {
                        case .json(let packed):
                            XCTAssertEqual(PackedJSON(js).packedDocument(), packed, "\(sql): document \(match.id)")
                            documents += 1
                        case .jsonField(let field?) where a.name.hasPrefix("js."):
                            let path = a.name.dropFirst(3).split(separator: ".").map(String.init)
                            let member = AgentSearch.member(js, path)!
                            let (kind, bytes) = PackedJSON(member).packedField()
                            XCTAssertEqual(kind, field.kind, sql)
                            XCTAssertEqual(bytes, field.bytes, sql)
                            fields += 1
                        case .bigint(let key) where a.name == "@groupby":
                            let path = result.attributes.first!.name == "js.status" ? ["status"] : nil
                            if let path { XCTAssertEqual(GroupKeyHash.key(of: AgentSearch.member(js, path)), key, sql) }
                        default:
                            break
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThan(documents, 800)
        XCTAssertGreaterThan(fields, 50)
    }

    func testGroupKeysAreSphinxs() {
        // From the captures: the group keys Sphinx's agents sent for these values.
        XCTAssertEqual(GroupKeyHash.key(of: .string("INFO")), 776_776_175_300_905_925)
        XCTAssertEqual(GroupKeyHash.key(of: .string("web01")), 7_355_431_721_355_820_198)
        XCTAssertEqual(GroupKeyHash.key(of: .number(text: "400")), 3_159_633_682_633_943_387)
    }
}

/// The one-pass packer against the tree it stands in for.
final class PackedJSONPackerTests: XCTestCase {
    func testThePackerPacksAsTheTreeDoes() throws {
        var texts: [String] = Captures.shared.agentRows.flatMap { $0.map { $0[2] } }
        texts += [
            "{}", "[]", "{\"a\":{}}", "{\"a\":[]}", "{\"a\":[1,2,3]}", "{\"a\":[1,5000000000]}", "{\"a\":[1.5,2]}",
            "{\"a\":[\"x\",\"y\"]}", "{\"a\":[true,false,null]}", "{\"a\":[{\"b\":1},[2]]}", "{\"n\":-9223372036854775808}",
            "{\"n\":99999999999999999999}", "{\"n\":-99999999999999999999}", "{\"d\":1e300,\"e\":-0.5,\"f\":2E-3}",
            "{\"s\":\"tab\\tnew\\nquote\\\"slash\\\\ \\u00e9 \\ud83d\\ude00 \\u0041\"}", "  { \"k\" : [ ] , \"l\" : { \"m\" : null } }  ",
            "{\"long\":\"" + String(repeating: "x", count: 300) + "\",\"obj\":{\"inner\":\"" + String(repeating: "y", count: 70000) + "\"}}",
            "{\"Ключ\":\"значение\",\"a.b\":1}", "42", "\"just a string\"", "[1,{\"a\":2}]",
        ]
        for text in texts {
            let tree = PackedJSON(try JSONParser.parse(text)).packedDocument()
            XCTAssertEqual(try PackedJSONPacker.document(text), tree, String(text.prefix(80)))
        }
    }

    func testMalformedOrTooDeepTextIsAnErrorNotACrash() {
        for text in ["{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,", "\"abc", "{\"a\":tru}", "{\"a\":\"\\u12\"}", "{} x"] {
            XCTAssertThrowsError(try PackedJSONPacker.document(text), text)
        }
        let deep = String(repeating: "{\"a\":", count: 10_000) + "1" + String(repeating: "}", count: 10_000)
        XCTAssertThrowsError(try PackedJSONPacker.document(deep))
        let deepArrays = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        XCTAssertThrowsError(try PackedJSONPacker.document(deepArrays))
    }
}
