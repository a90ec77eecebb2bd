import Testing

@testable import AlcoCollector

@Suite struct ReceivedMessagesTests {
    /// Messages come back whole and in order, each with the origin it was appended with, also
    /// across runs of the same origin and an empty message.
    @Test func messagesAndOriginsComeBackInOrder() {
        var m = ReceivedMessages()
        let input: [(String, String)] = [
            ("{\"a\":1}", "amqp:q:logstash.x"), ("", "amqp:q:logstash.x"), ("b", "amqp:q:logstash.y"),
            ("ccc", "amqp:q:logstash.y"), ("d", "amqp:q:logstash.x"),
        ]
        for (body, origin) in input { m.append(Array(body.utf8), origin: origin) }
        #expect(m.count == 5 && !m.isEmpty)
        var out: [(String, String)] = []
        m.forEach { body, origin in out.append((String(decoding: body, as: UTF8.self), origin())) }
        #expect(out.map(\.0) == input.map(\.0))
        #expect(out.map(\.1) == input.map(\.1))
        m.removeAll()
        #expect(m.isEmpty && m.count == 0)
        var none = 0
        m.forEach { _, _ in none += 1 }
        #expect(none == 0)
    }
}
