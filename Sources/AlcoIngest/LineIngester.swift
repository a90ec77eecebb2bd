import AlcoIndex
import Foundation

/// How a line of input is read.
public enum LineFormat: String, Sendable, CaseIterable {
    /// JSON when the line starts with `{`, plain text otherwise.
    case auto
    /// Every line is a logstash JSON message.
    case json
    /// Every line is the message; the time is when it was read.
    case text
}

/// Feeds lines into an index in batches: decodes each line, sends failures to the reject
/// store with file and line number, and appends the rest (each batch durable before the next).
public final class LineIngester {
    public let index: LogIndex
    public let rejects: RejectStore
    public var format: LineFormat
    public var batchSize = 8192
    /// Longest line stored; a longer one is rejected as `too_large` (its first bytes kept with
    /// the reject), and the reader never holds more of it than this.
    public var maxLineBytes = 16 << 20 { didSet { decoder.maxBytes = maxLineBytes } }
    public var decoder: LogstashDecoder
    public private(set) var stored = 0
    public private(set) var rejected = 0
    public private(set) var bytesRead = 0
    /// Fields added to every line that lacks them (like a shipper's static `fields`): a plain
    /// text line gets them as its js, a JSON line keeps its own values.
    public var extraFields: [(key: String, value: JSONValue)] = [] {
        didSet { extraJSText = extraFields.isEmpty ? "{}" : JSONValue.object(extraFields).serialized() }
    }
    private var extraJSText = "{}"
    /// Told of each rejected line (its number and why), besides the rejects store.
    public var onReject: ((Int, Rejection) -> Void)?
    private var batch: [NewDocument] = []
    /// Where the lines of the pending batch start, to say where to resume when storing fails.
    private var batchStart: (source: String, line: Int)?
    /// After a failed store: the first line not stored (every line before it was, or was
    /// rejected).
    public private(set) var firstUnstored: (source: String, line: Int)?
    private var lastTextTime: Int64 = 0

    public init(index: LogIndex, rejects: RejectStore, format: LineFormat = .auto) {
        self.index = index
        self.rejects = rejects
        self.format = format
        decoder = LogstashDecoder(producerZone: index.producerTimeZone)
        decoder.maxBytes = maxLineBytes
        batch.reserveCapacity(batchSize)
    }

    /// The bytes of a reject that stands for a line too long to keep: its start.
    static let keptOfLongLine = 4096

    /// Reads a whole stream (file descriptor), line by line.
    public func ingest(fd: Int32, source: String, progress: ((LineIngester) -> Void)? = nil) throws {
        var carry: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var lineNumber = 0
        // Bytes of the current line past `maxLineBytes` (not kept): the line is rejected whole.
        var overflow = 0
        func endOfLongLine(_ number: Int) throws {
            let total = carry.count + overflow
            let r = Rejection(reason: .tooLarge, detail: "line of \(total) bytes exceeds \(maxLineBytes) (its first \(LineIngester.keptOfLongLine) bytes kept here)")
            try carry.withUnsafeBytes { try reject(r, UnsafeRawBufferPointer(rebasing: $0.prefix(LineIngester.keptOfLongLine)), source: source, number: number) }
            carry.removeAll(keepingCapacity: false)
            overflow = 0
        }
        // Keeps up to `maxLineBytes` of a line that continues past this chunk.
        func hold(_ part: UnsafeRawBufferPointer) {
            let room = max(0, maxLineBytes - carry.count)
            carry.append(contentsOf: part.prefix(room))
            overflow += max(0, part.count - room)
        }
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AlcoError.io(path: source, operation: "read", errno: errno)
            }
            if n == 0 { break }
            bytesRead += n
            var start = 0
            try buffer.withUnsafeBytes { raw in
                let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<n])
                let base = chunk.baseAddress!
                while start < n, let found = memchr(base + start, 0x0a, n - start) {
                    let i = UnsafeRawPointer(found) - base
                    lineNumber += 1
                    if carry.isEmpty {
                        try line(UnsafeRawBufferPointer(rebasing: chunk[start..<i]), source: source, number: lineNumber)
                    } else {
                        hold(UnsafeRawBufferPointer(rebasing: chunk[start..<i]))
                        if overflow > 0 {
                            try endOfLongLine(lineNumber)
                        } else {
                            try carry.withUnsafeBytes { try line($0, source: source, number: lineNumber) }
                            carry.removeAll(keepingCapacity: carry.count <= 1 << 20)
                        }
                    }
                    start = i + 1
                }
                hold(UnsafeRawBufferPointer(rebasing: chunk[start..<n]))
            }
            progress?(self)
        }
        if !carry.isEmpty {
            lineNumber += 1
            if overflow > 0 {
                try endOfLongLine(lineNumber)
            } else {
                try carry.withUnsafeBytes { try line($0, source: source, number: lineNumber) }
            }
        }
        try flush()
    }

    /// Reads lines from memory (an HTTP body), then stores what is left.
    public func ingest(buffer: UnsafeRawBufferPointer, source: String) throws {
        var start = 0
        var number = 0
        guard let base = buffer.baseAddress else { return try flush() }
        while start < buffer.count {
            let end = memchr(base + start, 0x0a, buffer.count - start).map { $0 - UnsafeMutableRawPointer(mutating: base) } ?? buffer.count
            number += 1
            try line(UnsafeRawBufferPointer(rebasing: buffer[start..<end]), source: source, number: number)
            start = end + 1
        }
        try flush()
    }

    private func reject(_ r: Rejection, _ bytes: UnsafeRawBufferPointer, source: String, number: Int) throws {
        try rejects.record(r, raw: bytes, source: source, line: number, index: index.name)
        rejected += 1
        onReject?(number, r)
    }

    /// Decodes one line (without its newline).
    public func line(_ raw: UnsafeRawBufferPointer, source: String, number: Int) throws {
        var bytes = raw
        if let last = bytes.last, last == 0x0d { bytes = UnsafeRawBufferPointer(rebasing: bytes.dropLast()) }
        if bytes.isEmpty { return }
        if bytes.count > maxLineBytes {
            let r = Rejection(reason: .tooLarge, detail: "line of \(bytes.count) bytes exceeds \(maxLineBytes) (its first \(LineIngester.keptOfLongLine) bytes kept here)")
            return try reject(r, UnsafeRawBufferPointer(rebasing: bytes.prefix(LineIngester.keptOfLongLine)), source: source, number: number)
        }
        if batch.isEmpty { batchStart = (source, number) }
        let now = Int64(Date().timeIntervalSince1970 * 1e6)
        let isJSON: Bool
        switch format {
        case .json: isJSON = true
        case .text: isJSON = false
        case .auto: isJSON = bytes.first { $0 != 0x20 && $0 != 0x09 } == UInt8(ascii: "{")
        }
        if isJSON {
            switch decoder.decode(bytes, now: now) {
            case .success(var doc):
                if !extraFields.isEmpty { doc.js = withExtraFields(doc.js) }
                batch.append(doc)
            case .failure(let r):
                try reject(r, bytes, source: source, number: number)
            }
        } else {
            guard let text = String(validating: bytes, as: UTF8.self) else {
                try reject(Rejection(reason: .invalidUTF8, detail: "line is not UTF-8"), bytes, source: source, number: number)
                return
            }
            // Plain lines keep their order: each gets a time after the previous one.
            lastTextTime = max(now, lastTextTime + 1)
            batch.append(NewDocument(microseconds: lastTextTime, logline: text, jsText: extraJSText))
        }
        if batch.count >= batchSize { try flush() }
    }

    private func withExtraFields(_ js: String) -> String {
        guard case .object(var members)? = try? JSONParser.parse(js) else { return js }
        for f in extraFields where !members.contains(where: { $0.key == f.key }) { members.append(f) }
        return JSONValue.object(members).serialized()
    }

    public func flush() throws {
        try rejects.sync()
        guard !batch.isEmpty else { return }
        let docs = batch
        batch.removeAll(keepingCapacity: true)
        do {
            try index.append(docs, mode: .insert)
        } catch {
            firstUnstored = batchStart
            throw error
        }
        stored += docs.count
    }
}
