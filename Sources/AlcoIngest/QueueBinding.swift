import AlcoIndex

/// Where an index's messages come from on RabbitMQ (ALCO's `LoggerIndex` queue fields): the
/// queue, the topic patterns bound to it, durability, and how many consumers read it. The
/// collector reads it and the HTTP API and CLI edit it; it is kept in the index's
/// settings.json under its own keys, which the engine carries without reading.
public struct QueueBinding: Equatable, Sendable {
    public var queue: String
    public var routingKeys: [String]
    public var durable: Bool
    /// Consumers (connections) for this index, like ALCO's `num_processes`; nil: the server's
    /// default.
    public var consumers: Int?

    public static let consumerRange = 1...64
    /// The settings.json keys this binding owns.
    public static let settingKeys = ["queue", "routing_keys", "durable", "consumers"]

    public init(queue: String = "logstash", routingKeys: [String] = ["logstash.#"], durable: Bool = false, consumers: Int? = nil) {
        self.queue = queue
        self.routingKeys = routingKeys
        self.durable = durable
        self.consumers = consumers
    }

    /// The binding an index's settings hold, with defaults for keys they lack (or null); a key
    /// of the wrong type (a hand-edited settings.json, an API body) is an error naming it, not
    /// silently the default.
    public init(_ settings: IndexSettings) throws {
        self.init()
        let a = settings.application
        func invalid(_ what: String) -> AlcoError {
            .invalidSetting("index \(settings.name): \(what)")
        }
        if let v = a["queue"], v != .null {
            guard case .string(let s) = v else { throw invalid("queue must be a string") }
            queue = s
        }
        if let v = a["routing_keys"], v != .null {
            guard case .array(let items) = v, let keys = Optional(items.compactMap(\.stringValue)), keys.count == items.count else {
                throw invalid("routing_keys must be a list of strings")
            }
            routingKeys = keys
        }
        if let v = a["durable"], v != .null {
            guard case .bool(let b) = v else { throw invalid("durable must be true or false") }
            durable = b
        }
        if let v = a["consumers"], v != .null {
            guard case .number(let text) = v, let n = Int(text) else { throw invalid("consumers must be a whole number") }
            consumers = n
        }
        try validate()
    }

    public func validate() throws {
        guard !queue.isEmpty, queue.utf8.count <= 255 else {
            throw AlcoError.invalidSetting("queue must be a name of 1 to 255 bytes")
        }
        guard routingKeys.allSatisfy({ $0.utf8.count <= 255 }) else {
            throw AlcoError.invalidSetting("a routing key is at most 255 bytes")
        }
        if let consumers, !QueueBinding.consumerRange.contains(consumers) {
            throw AlcoError.invalidSetting(
                "consumers must be from \(QueueBinding.consumerRange.lowerBound) to \(QueueBinding.consumerRange.upperBound), not \(consumers)")
        }
    }

    /// Writes this binding into `settings` (after checking it).
    public func store(in settings: inout IndexSettings) throws {
        try validate()
        settings.application["queue"] = .string(queue)
        settings.application["routing_keys"] = .array(routingKeys.map(JSONValue.string))
        settings.application["durable"] = .bool(durable)
        settings.application["consumers"] = consumers.map { .number(text: String($0)) }
    }
}
