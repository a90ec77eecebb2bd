import Testing

@testable import AlcoIngest

@Suite struct RejectLogTests {
    let bad = Rejection(reason: .malformedJSON, detail: "expected a value")
    let late = Rejection(reason: .badTimestamp, detail: "no date")

    /// The first of each reason is said at once; more of it within the interval are held back
    /// and counted in the next line, which comes only once the interval has passed.
    @Test func oncePerReasonPerInterval() throws {
        var log = RejectLog(interval: 60)
        let said = log.line(for: bad, source: "amqp:q:logstash.app", index: "logs", at: 1000)
        let first = try #require(said)
        #expect(first.contains("amqp:q:logstash.app") && first.contains("index logs") && first.contains("malformed_json (expected a value)"))
        #expect(!first.contains("more"))
        let soon = log.line(for: bad, source: "amqp:q:logstash.app", index: "logs", at: 1010)
        let stillSoon = log.line(for: bad, source: "http", index: "logs", at: 1059)
        #expect(soon == nil && stillSoon == nil)
        // Another reason has its own clock.
        let other = log.line(for: late, source: "http", index: nil, at: 1020)
        #expect(other != nil)
        let due = log.line(for: bad, source: "http", index: nil, at: 1060)
        let next = try #require(due)
        #expect(next.contains("2 more malformed_json") && !next.contains("for index"))
        let later = log.line(for: bad, source: "http", index: nil, at: 1200)
        let after = try #require(later)
        #expect(!after.contains("more"), "nothing was held back since")
    }
}
