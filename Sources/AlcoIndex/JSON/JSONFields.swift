/// Typed reads of a parsed JSON object, for the engine's own files (patterns.json,
/// columns.json): a member that is missing or of the wrong type is an error that names it.
/// Foundation's JSONDecoder read those files at ~500 instructions a byte, which a restart
/// paid for every index.
struct JSONFields {
    let members: [(key: String, value: JSONValue)]
    /// Where the object is, for errors ("pattern 12").
    let context: String

    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    init(_ value: JSONValue, _ context: String) throws {
        guard case .object(let members) = value else { throw Problem(description: "\(context) is not an object") }
        self.members = members
        self.context = context
    }

    /// The member's value; of repeated keys, the last (as JSONDecoder took it).
    func optional(_ key: String) -> JSONValue? {
        members.last { $0.key == key }?.value
    }

    func value(_ key: String) throws -> JSONValue {
        guard let v = optional(key) else { throw problem(key, "is missing") }
        return v
    }

    func string(_ key: String) throws -> String {
        guard case .string(let s) = try value(key) else { throw problem(key, "is not a string") }
        return s
    }

    func bool(_ key: String) throws -> Bool {
        guard let b = JSONFields.bool(try value(key)) else { throw problem(key, "is not true or false") }
        return b
    }

    func integer<T: FixedWidthInteger>(_ key: String, as type: T.Type = T.self) throws -> T {
        guard let n = JSONFields.integer(try value(key), as: T.self) else { throw problem(key, "is not an integer in range") }
        return n
    }

    /// Nil when absent or null.
    func optionalInteger<T: FixedWidthInteger>(_ key: String, as type: T.Type = T.self) throws -> T? {
        guard let v = optional(key), v != .null else { return nil }
        guard let n = JSONFields.integer(v, as: T.self) else { throw problem(key, "is not an integer in range") }
        return n
    }

    func array(_ key: String) throws -> [JSONValue] {
        guard case .array(let items) = try value(key) else { throw problem(key, "is not an array") }
        return items
    }

    func object(_ key: String) throws -> JSONFields {
        try JSONFields(try value(key), "\(context).\(key)")
    }

    private func problem(_ key: String, _ what: String) -> Problem {
        Problem(description: "\(context).\(key) \(what)")
    }

    static func bool(_ v: JSONValue) -> Bool? {
        if case .bool(let b) = v { return b }
        return nil
    }

    /// An integer written as one (no fraction or exponent) that fits `T`.
    static func integer<T: FixedWidthInteger>(_ v: JSONValue, as type: T.Type = T.self) -> T? {
        guard case .number(let text) = v else { return nil }
        return T(text)
    }
}
