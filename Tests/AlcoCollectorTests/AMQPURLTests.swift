import Testing
@testable import AlcoCollector

@Suite struct AMQPURLTests {
    @Test func parsesEveryPart() throws {
        let u = try AMQPURL("amqp://alco:s%40cret@mq.example.com:5673/logs")
        #expect(u.user == "alco" && u.password == "s@cret" && u.host == "mq.example.com" && u.port == 5673 && u.vhost == "logs")
        #expect(u.description == "amqp://alco@mq.example.com:5673/logs", "no password in logs")
    }

    @Test func defaultsAsRabbitMQDoes() throws {
        let u = try AMQPURL("amqp://localhost")
        #expect(u.user == "guest" && u.password == "guest" && u.port == 5672 && u.vhost == "/")
        #expect(try AMQPURL("amqp://h/").vhost == "/", "a trailing slash is the default vhost, not an empty one")
        #expect(try AMQPURL("amqp://h/%2F").vhost == "/")
        #expect(try AMQPURL("amqps://h").port == 5671)
    }

    @Test func refusesWhatIsNotAnAMQPURL() {
        #expect(throws: CollectorError.self) { try AMQPURL("http://h") }
        #expect(throws: CollectorError.self) { try AMQPURL("amqp://h:99999") }
        #expect(throws: CollectorError.self) { try AMQPURL("amqp://h:x") }
    }
}
