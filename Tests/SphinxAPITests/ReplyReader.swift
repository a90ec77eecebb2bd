import NIOCore
import SphinxAPI

/// The master's side of a SEARCH reply, for tests: reads what an agent sent into an
/// `APISearchResult` (the peer the encoder is checked against).
enum ReplyReader {
    static func read(_ frame: ByteBuffer, queries: Int = 1) throws -> [APISearchResult] {
        var r = APIReader(frame)
        let status = try r.readUInt32() >> 16
        _ = try r.readUInt32()  // length
        guard status == 0 else { return [.failure(try r.readString())] }
        var results: [APISearchResult] = []
        for _ in 0..<queries {
            var result = APISearchResult()
            result.status = APIStatus(rawValue: try r.readUInt32())!
            if result.status != .ok { result.message = try r.readString() }
            if result.status == .error {
                results.append(result)
                continue
            }
            for _ in 0..<(try r.readUInt32()) { result.fields.append(try r.readString()) }
            for _ in 0..<(try r.readUInt32()) {
                result.attributes.append(.init(try r.readString(), APIAttributeType(rawValue: try r.readUInt32())!))
            }
            let count = try r.readUInt32()
            _ = try r.readUInt32()  // 64-bit ids
            for _ in 0..<count {
                var match = APISearchResult.Match(id: try r.readUInt64(), weight: try r.readInt32(), values: [])
                for a in result.attributes {
                    switch a.type {
                    case .integer, .timestamp, .bool, .tokenCount: match.values.append(.integer(try r.readUInt32()))
                    case .bigint: match.values.append(.bigint(Int64(bitPattern: try r.readUInt64())))
                    case .float: match.values.append(.float(try r.readFloat()))
                    case .string, .stringPointer:
                        let bytes = try r.readBytes()
                        match.values.append(.string(bytes.isEmpty ? nil : bytes))
                    case .json: match.values.append(.json(try r.readBytes()))
                    case .jsonField:
                        let kind = PackedJSON.Kind(rawValue: try r.readUInt8())!
                        if kind == .eof {
                            match.values.append(.jsonField(nil))
                            continue
                        }
                        var length = 0
                        switch kind {
                        case .int32: length = 4
                        case .int64, .double: length = 8
                        case .true, .false, .null: length = 0
                        default: length = Int(try r.readUInt32())
                        }
                        var bytes: [UInt8] = []
                        for _ in 0..<length { bytes.append(try r.readUInt8()) }
                        match.values.append(.jsonField(.init(kind: kind, bytes: bytes)))
                    }
                }
                result.matches.append(match)
            }
            _ = try r.readUInt32()  // retrieved
            result.totalFound = Int(try r.readUInt32())
            result.milliseconds = Int(try r.readUInt32())
            _ = try r.readUInt8()  // statistics mask: agents here send none
            for _ in 0..<3 { _ = try r.readUInt32() }
            for _ in 0..<(try r.readUInt32()) {
                result.words.append(.init(word: try r.readString(), documents: Int(try r.readUInt32()), hits: Int(try r.readUInt32())))
                _ = try r.readUInt8()
            }
            results.append(result)
        }
        return results
    }
}
