import AlcoIndex
import Foundation

/// Keeps what could not be stored, with why and where it came from, as JSON lines under
/// `DATA/rejects/` (one file per day), so nothing malformed is ever silently dropped.
public final class RejectStore: @unchecked Sendable {
    public let directory: String
    private let lock = ConditionLock()
    private var counts: [RejectReason: Int] = [:]
    private var file: WritableFile?
    private var fileDay = ""
    private var rejectLog = RejectLog()
    private let log: (@Sendable (String) -> Void)?

    /// - Parameter log: where to say what was rejected (once per reason per minute); nil for
    ///   commands that report rejects themselves.
    public init(directory: String, log: (@Sendable (String) -> Void)? = nil) throws {
        self.directory = directory
        self.log = log
        try FileSystem.makeDirectory(directory)
    }

    public var countsByReason: [RejectReason: Int] { lock.withLock { counts } }
    public var total: Int { lock.withLock { counts.values.reduce(0, +) } }

    /// Records one rejected message. `raw` is kept as text when it is UTF-8, else base64.
    public func record(_ rejection: Rejection, raw: UnsafeRawBufferPointer, source: String, line: Int?, index: String?) throws {
        var members: [(key: String, value: JSONValue)] = [
            ("time", .string(Timestamps.iso(microseconds: Int64(Date().timeIntervalSince1970 * 1e6), zone: TimeZone(identifier: "UTC")!))),
            ("source", .string(source)),
        ]
        if let line { members.append(("line", .number(text: String(line)))) }
        if let index { members.append(("index", .string(index))) }
        members.append(("reason", .string(rejection.reason.rawValue)))
        members.append(("detail", .string(rejection.detail)))
        if let text = String(validating: raw, as: UTF8.self) {
            members.append(("raw", .string(text)))
        } else {
            members.append(("raw_base64", .string(Data(raw).base64EncodedString())))
        }
        var bytes: [UInt8] = []
        JSONValue.object(members).write(to: &bytes)
        bytes.append(0x0a)
        let logLine = try lock.withLock { () -> String? in
            counts[rejection.reason, default: 0] += 1
            let day = String(Timestamps.format(microseconds: Int64(Date().timeIntervalSince1970 * 1e6), zone: TimeZone(identifier: "UTC")!).prefix(10))
            if file == nil || day != fileDay {
                file?.close()
                file = try WritableFile(path: directory + "/rejects-\(day).jsonl", append: true)
                fileDay = day
            }
            try file!.write(bytes)
            guard log != nil else { return nil }
            return rejectLog.line(for: rejection, source: source, index: index, at: Date().timeIntervalSince1970)
        }
        if let logLine { log?(logLine) }
    }

    /// Makes recorded rejects durable (before the messages that caused them are acked).
    public func sync() throws {
        try lock.withLock { try file?.sync() }
    }

    public func close() {
        lock.withLock {
            file?.close()
            file = nil
        }
    }
}

extension String {
    init?(validating buffer: UnsafeRawBufferPointer, as: UTF8.Type) {
        var it = buffer.makeIterator()
        var decoder = UTF8()
        var scalars = String.UnicodeScalarView()
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let s): scalars.append(s)
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        self = String(scalars)
    }
}
