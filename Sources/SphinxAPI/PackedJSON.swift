import CZlib

/// A JSON value as the SphinxAPI carries it between searchd's: Sphinx 2.2's packed binary
/// JSON ("SphinxBSON"), which a master reads from its agents and prints for its clients.
/// Little-endian numbers, lengths packed in 1-5 bytes, a Bloom mask of the keys in front of
/// every object, arrays of one scalar type stored as typed vectors.
public indirect enum PackedJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string([UInt8])
    case array([PackedJSON])
    case object([(key: [UInt8], value: PackedJSON)])

    public static func == (a: PackedJSON, b: PackedJSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x.bitPattern == y.bitPattern
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// Type bytes (Sphinx's `ESphJsonType`).
    public enum Kind: UInt8, Sendable {
        case eof = 0, int32, int64, double, string, stringVector, int32Vector, int64Vector, doubleVector
        case mixedVector, object, `true`, `false`, null, root

        /// Whether a value of this kind carries its own length (a master reads a u32 first).
        public var hasVariableSize: Bool {
            switch self {
            case .int32, .int64, .double, .true, .false, .null, .eof: return false
            default: return true
            }
        }
    }

    /// A whole document, as a JSON attribute holds it: the root object's mask, its members,
    /// and two end marks (the root's and the blob's).
    public func packedDocument() -> [UInt8] {
        var w = Writer()
        if case .object(let members) = self {
            w.object(members, root: true)
        } else {
            w.node(self, key: nil)
        }
        w.bytes.append(Kind.eof.rawValue)
        return w.bytes
    }

    /// One value as a JSON-field attribute carries it: its kind and its bytes (no key).
    public func packedField() -> (kind: Kind, bytes: [UInt8]) {
        var w = Writer()
        let kind = w.node(self, key: nil)
        return (kind, Array(w.bytes.dropFirst()))
    }

    /// Sphinx's Bloom bits for a key: two bits picked by the key's CRC-32.
    static func keyMask(_ key: [UInt8]) -> UInt32 {
        let crc = key.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
        return (1 << (crc & 31)) &+ (1 << ((crc >> 8) & 31))
    }

    /// The kind a scalar is written as (64-bit integers that fit 32 bits are written short).
    var scalarKind: Kind? {
        switch self {
        case .null: return .null
        case .bool(let b): return b ? .true : .false
        case .int(let v): return Int64(Int32(truncatingIfNeeded: v)) == v ? .int32 : .int64
        case .double: return .double
        case .string: return .string
        case .array, .object: return nil
        }
    }

    struct Writer {
        var bytes: [UInt8] = []

        mutating func u32(_ v: UInt32) {
            bytes += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)]
        }

        mutating func u64(_ v: UInt64) {
            u32(UInt32(truncatingIfNeeded: v))
            u32(UInt32(truncatingIfNeeded: v >> 32))
        }

        /// 0-251 in one byte; 252, 253, 254 announce 2, 3 and 4 more bytes.
        static func packedLength(_ v: Int) -> [UInt8] {
            let n = UInt32(clamping: v)
            if n < 252 { return [UInt8(n)] }
            if n < 65536 { return [252, UInt8(n & 0xFF), UInt8(n >> 8)] }
            if n < 16_777_216 { return [253, UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16)] }
            return [254, UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)]
        }

        mutating func string(_ s: [UInt8]) {
            bytes += Self.packedLength(s.count)
            bytes += s
        }

        /// Writes `body` behind its packed size.
        mutating func sized(_ body: (inout Writer) -> Void) {
            var inner = Writer()
            body(&inner)
            bytes += Self.packedLength(inner.bytes.count)
            bytes += inner.bytes
        }

        mutating func object(_ members: [(key: [UInt8], value: PackedJSON)], root: Bool) {
            var mask: UInt32 = 0
            var body = Writer()
            for m in members {
                body.node(m.value, key: m.key)
                mask |= PackedJSON.keyMask(m.key)
            }
            body.bytes.append(Kind.eof.rawValue)
            if root {
                u32(mask)
                bytes += body.bytes
            } else {
                sized { w in
                    w.u32(mask)
                    w.bytes += body.bytes
                }
            }
        }

        /// Writes the type byte, the key if any, and the value; returns the type written.
        @discardableResult
        mutating func node(_ value: PackedJSON, key: [UInt8]?) -> Kind {
            let kind: Kind
            switch value {
            case .array(let items):
                kind = Self.vectorKind(items)
            case .object:
                kind = .object
            default:
                kind = value.scalarKind!
            }
            bytes.append(kind.rawValue)
            if let key { string(key) }
            switch value {
            case .null, .bool: break
            case .int(let v):
                if kind == .int32 { u32(UInt32(bitPattern: Int32(truncatingIfNeeded: v))) } else { u64(UInt64(bitPattern: v)) }
            case .double(let d): u64(d.bitPattern)
            case .string(let s): string(s)
            case .object(let members): object(members, root: false)
            case .array(let items): vector(items, kind: kind)
            }
            return kind
        }

        static func vectorKind(_ items: [PackedJSON]) -> Kind {
            guard let first = items.first?.scalarKind, items.allSatisfy({ $0.scalarKind == first }) else { return .mixedVector }
            switch first {
            case .int32: return .int32Vector
            case .int64: return .int64Vector
            case .double: return .doubleVector
            case .string: return .stringVector
            default: return .mixedVector
            }
        }

        mutating func vector(_ items: [PackedJSON], kind: Kind) {
            switch kind {
            case .int32Vector, .int64Vector, .doubleVector:
                bytes += Self.packedLength(items.count)
                for item in items {
                    switch item {
                    case .int(let v) where kind == .int32Vector: u32(UInt32(bitPattern: Int32(truncatingIfNeeded: v)))
                    case .int(let v): u64(UInt64(bitPattern: v))
                    case .double(let d): u64(d.bitPattern)
                    default: break
                    }
                }
            case .stringVector:
                sized { w in
                    w.bytes += Self.packedLength(items.count)
                    for case .string(let s) in items { w.string(s) }
                }
            default:
                sized { w in
                    w.bytes += Self.packedLength(items.count)
                    for item in items { w.node(item, key: nil) }
                }
            }
        }
    }
}
