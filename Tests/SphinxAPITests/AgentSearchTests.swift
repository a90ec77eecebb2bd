import AlcoIndex
import Foundation
import NIOCore
import XCTest

@testable import SphinxAPI
@testable import SphinxAPIExecution

/// An agent's answers from a real catalog, without a network.
final class AgentSearchTests: XCTestCase {
    var directory = ""
    var catalog: Catalog!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "alco-agent-" + UUID().uuidString
        var options = EngineOptions()
        options.backgroundMaintenance = false
        options.syncWrites = false
        catalog = try Catalog(directory: directory, options: options)
        let index = try catalog.createIndex(IndexSettings(name: "logs"))
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        try index.append(
            (0..<300).map { k in
                NewDocument(microseconds: now + Int64(k), logline: "request \(k) " + (k % 3 == 0 ? "failed" : "served"), jsText: Self.js(k))
            })
    }

    static func js(_ k: Int) -> String {
        "{\"host\":\"web\(k % 4)\",\"status\":\(k % 3 == 0 ? 500 : 200),\"ms\":\(Double(k) / 8),\"tags\":[]}"
    }

    override func tearDownWithError() throws {
        try catalog.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func query(_ select: String = "*", text: String = "", sortBy: String = "id DESC", limit: Int32 = 1000) -> APIQuery {
        var q = APIQuery()
        q.select = select
        q.query = text
        q.indexes = "logs"
        q.sortMode = .extended
        q.sortBy = sortBy
        q.limit = limit
        return q
    }

    func testSelectStarIsLoglineAndPackedJSON() throws {
        let r = AgentSearch(catalog: catalog).run(query(text: "failed"))
        XCTAssertEqual(r.status, .ok, r.message)
        XCTAssertEqual(r.attributes, [.init("logline", .string), .init("js", .json)])
        XCTAssertEqual(r.matches.count, 100)
        XCTAssertEqual(r.totalFound, 100)
        XCTAssertEqual(r.words.map(\.word), ["failed"])
        let ids = r.matches.map(\.id)
        XCTAssertEqual(ids, ids.sorted(by: >))
        for m in r.matches {
            guard case .json(let packed) = m.values[1], case .string(let line?) = m.values[0] else { return XCTFail() }
            let text = String(decoding: line, as: UTF8.self)
            XCTAssertTrue(text.hasSuffix("failed"))
            let k = Int(text.split(separator: " ")[1])!
            XCTAssertEqual(packed, PackedJSON(try JSONParser.parse(Self.js(k))).packedDocument())
        }
    }

    func testFiltersGroupsAndTheImplicitGroup() throws {
        var q = query("js.host AS h, COUNT(*) AS n", sortBy: "@weight desc")
        q.groupBy = "h"
        q.groupSort = "n DESC"
        q.filters = [APIFilter(attribute: "js.status", condition: .values([500]))]
        let grouped = AgentSearch(catalog: catalog).run(q)
        XCTAssertEqual(grouped.status, .ok, grouped.message)
        XCTAssertEqual(grouped.attributes.map(\.name), ["h", "@count", "@groupby", "@groupbystr"])
        XCTAssertEqual(grouped.matches.count, 4)
        let counts = grouped.matches.map { m -> UInt32 in
            guard case .integer(let n) = m.values[1] else { return 0 }
            return n
        }
        XCTAssertEqual(counts.reduce(0, +), 100)
        for m in grouped.matches {
            guard case .jsonField(let f?) = m.values[0], case .bigint(let key) = m.values[2] else { return XCTFail() }
            // A short packed string: its one-byte length, then its bytes.
            XCTAssertEqual(f.kind, .string)
            XCTAssertEqual(key, Int64(bitPattern: GroupKeyHash.fnv64(f.bytes.dropFirst())))
        }
        let count = AgentSearch(catalog: catalog).run(query("COUNT(*)", text: "served", sortBy: "@weight desc"))
        XCTAssertEqual(count.attributes.map(\.name), ["@count", "@groupby"])
        XCTAssertEqual(count.matches.first?.values.first, .integer(200))
    }

    func testNullFiltersAndStringListsAsSphinxAgentsTakeThem() throws {
        try catalog.index("logs").append([NewDocument(id: 5, logline: "no host", jsText: #"{"status":200}"#)])
        var q = query("id")
        q.filters = [APIFilter(attribute: "js.host", condition: .isNull(true))]
        let absent = AgentSearch(catalog: catalog).run(q)
        XCTAssertEqual(absent.status, .ok, absent.message)
        XCTAssertEqual(absent.matches.map(\.id), [5])
        q.filters = [APIFilter(attribute: "js.host", condition: .isNull(false))]
        XCTAssertEqual(AgentSearch(catalog: catalog).run(q).totalFound, 300)
        // A real 2.2.11 agent refuses a string list on a JSON key; so do we.
        q.filters = [APIFilter(attribute: "js.host", condition: .strings(["web1", "web2"]))]
        let list = AgentSearch(catalog: catalog).run(q)
        XCTAssertEqual(list.status, .error)
        XCTAssertTrue(list.message.hasSuffix("this filter type on JSON subfields is not implemented yet"), list.message)
    }

    func testAnAnswerStopsAtItsByteBound() {
        var agent = AgentSearch(catalog: catalog)
        agent.maxReplyBytes = 10_000
        let r = agent.run(query())
        XCTAssertEqual(r.status, .warning)
        XCTAssertTrue(r.message.contains("answer cut to"), r.message)
        XCTAssertGreaterThan(r.matches.count, 10)
        XCTAssertLessThan(r.matches.count, 300)
    }

    func testErrorsNameTheIndex() {
        let r = AgentSearch(catalog: catalog).run(query(text: "("))
        XCTAssertEqual(r.status, .error)
        XCTAssertTrue(r.message.hasPrefix("index logs: "), r.message)
        var q = query()
        q.indexes = "nosuch"
        XCTAssertTrue(AgentSearch(catalog: catalog).run(q).message.contains("nosuch"))
    }
}
