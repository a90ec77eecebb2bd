import AlcoIndex
import SphinxAPI
import SphinxQLExecution

extension PackedJSON {
    /// A stored document's JSON as Sphinx would have packed it: integers that fit 64 bits as
    /// integers (clamped past that, as its lexer's strtoll did), other numbers as doubles.
    init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .string(let s): self = .string(Array(s.utf8))
        case .number(let text):
            if text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
                self = .double(Double(text) ?? 0)
            } else if let n = Int64(text) {
                self = .int(n)
            } else {
                self = .int(text.hasPrefix("-") ? .min : .max)
            }
        case .array(let items): self = .array(items.map(PackedJSON.init))
        case .object(let members): self = .object(members.map { (Array($0.key.utf8), PackedJSON($0.value)) })
        }
    }
}

extension APIValue {
    /// A JSON value (nil: a missing key) as a JSON-field attribute: packed for a master, as
    /// text for a client (strings bare, everything else as JSON).
    static func jsonField(_ value: JSONValue?, toMaster: Bool) -> APIValue {
        guard let value else { return toMaster ? .jsonField(nil) : .string(nil) }
        guard toMaster else { return .string(Array(value.displayText.utf8)) }
        let (kind, bytes) = PackedJSON(value).packedField()
        return .jsonField(PackedField(kind: kind, bytes: bytes))
    }
}

/// searchd's group key for a string: 64-bit FNV-1a of its bytes. A master merges the groups of
/// its agents by this number, so every node must compute it the same way.
enum GroupKeyHash {
    static func fnv64(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01B3
        }
        return h
    }

    /// The number a group of `value` is merged by, as searchd computes it: the hash of a
    /// string's bytes, of an integer's decimal text (as a C int, which searchd casts it to),
    /// of a double printed with six decimals, of anything else's packed bytes.
    static func key(of value: JSONValue?) -> Int64 {
        let packed: PackedJSON
        switch value {
        case .none, .some(.null): return 0
        case .some(.string(let s)): return Int64(bitPattern: fnv64(s.utf8))
        case .some(let v): packed = PackedJSON(v)
        }
        switch packed {
        case .int(let n): return Int64(bitPattern: fnv64(String(Int32(truncatingIfNeeded: n)).utf8))
        case .double(let d): return Int64(bitPattern: fnv64(String(format6: d).utf8))
        default: return Int64(bitPattern: fnv64(packed.packedField().bytes))
        }
    }
}
