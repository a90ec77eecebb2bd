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

    @Test func tlsSettingsFromTheQuery() throws {
        let u = try AMQPURL("amqps://alco:pw@mq:5671/logs?cacertfile=/etc/ca%20dir/ca.pem&certfile=/c.pem&keyfile=/k.pem&heartbeat=10")
        #expect(u.tls && u.vhost == "logs" && u.caCertFile == "/etc/ca dir/ca.pem" && u.certFile == "/c.pem" && u.keyFile == "/k.pem")
        #expect(u.verifyPeer, "brokers are verified unless told otherwise")
        #expect(try !AMQPURL("amqps://mq?verify=verify_none").verifyPeer)
        #expect(throws: CollectorError.self) { try AMQPURL("amqps://mq?verify=maybe") }
        #expect(throws: CollectorError.self) { try AMQPURL("amqps://mq?certfile=/c.pem") }
        #expect(throws: CollectorError.self) { try AMQPURL("amqp://mq?cacertfile=/ca.pem") }
        #expect(throws: CollectorError.self) { try AMQPURL("amqps://mq?colour=red") }
    }

    @Test func refusesWhatIsNotAnAMQPURL() {
        #expect(throws: CollectorError.self) { try AMQPURL("http://h") }
        #expect(throws: CollectorError.self) { try AMQPURL("amqp://h:99999") }
        #expect(throws: CollectorError.self) { try AMQPURL("amqp://h:x") }
    }
}
