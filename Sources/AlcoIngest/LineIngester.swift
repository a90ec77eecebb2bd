import AlcoIndex
import Foundation

/// How a line of input is read.
public enum LineFormat: Sendable {
    /// Per stream: JSON lines when a line starts with `{`; other lines in the text format
    /// detected from the stream's first lines (or plain text when none fits).
    case auto
    /// Every line is a logstash JSON message.
    case json
    /// Plain text: no format read (lines take the stream's reference time).
    case text
    /// Text in this format.
    case format(LogFormat)

    /// `auto`, `json`, `text` or a format's name.
    public init?(name: String, formats: [LogFormat] = LogFormat.builtIn) {
        switch name {
        case "auto": self = .auto
        case "json": self = .json
        case "text": self = .text
        default:
            guard let f = LogFormat.named(name, among: formats) else { return nil }
            self = .format(f)
        }
    }

    var isJSON: Bool {
        if case .json = self { return true }
        return false
    }
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
    public var extraFields: [(key: String, value: JSONValue)] = []
    /// Told of each rejected line (its number and why), besides the rejects store.
    public var onReject: ((Int, Rejection) -> Void)?
    private var batch: [NewDocument] = []
    /// Where the lines of the pending batch start, to say where to resume when storing fails.
    private var batchStart: (source: String, line: Int)?
    /// After a failed store: the first line not stored (every line before it was, or was
    /// rejected).
    public private(set) var firstUnstored: (source: String, line: Int)?
    /// The text formats detection chooses from (the built-in ones, and a user's).
    public var formats = LogFormat.builtIn
    /// Which lines begin a record in text streams.
    public var multiline = MultilineRule.auto
    /// The zone of times written without one; the index's by default.
    public var timeZone: TimeZone
    /// Give each text record a `file` field naming the stream it came from.
    public var recordsSource = false
    /// Told of each stream's text format once chosen (nil: plain text).
    public var onFormat: ((String, LogFormat?) -> Void)?
    /// Refuse lines older than the index keeps, before storing them (they would go at the
    /// next maintenance pass): the batch holding the first one is not stored and
    /// `OutsideRetention` says how many and what to do. Off: they are stored as given.
    public var refusesOutsideRetention = false
    /// Store each full batch on a queue of its own while the lines after it are decoded (one
    /// batch in flight): the WAL write and fsync, id assignment and pattern masking overlap the
    /// decoding, which otherwise waited for them. A reject, a mark or the end of input first
    /// waits for the batch in flight, so nothing is recorded past a batch that failed.
    public var overlapsStores = false
    private var inFlight: StoreInFlight?
    private lazy var storer = DispatchQueue(label: "alco.ingest.store")
    /// The text records of the current stream.
    private var records: TextRecords?
    private var reference: Int64 = 0

    public init(index: LogIndex, rejects: RejectStore, format: LineFormat = .auto) {
        self.index = index
        self.rejects = rejects
        self.format = format
        timeZone = index.timeZone
        decoder = LogstashDecoder(producerZone: index.producerTimeZone)
        decoder.maxBytes = maxLineBytes
        batch.reserveCapacity(batchSize)
    }

    /// Before a stream's first line: its reference time (a file's modification time) and,
    /// from a sample of its first lines, its text format.
    private func beginSource(_ source: String, referenceMicroseconds: Int64, sample: UnsafeRawBufferPointer) {
        reference = referenceMicroseconds
        var chosen: LogFormat?
        switch format {
        case .json, .text: chosen = nil
        case .format(let f): chosen = f
        case .auto:
            var lines: [[UInt8]] = []
            var start = 0
            while start < sample.count, lines.count < 200 {
                let end = sample[start...].firstIndex(of: 0x0a) ?? sample.count
                let line = Array(sample[start..<end])
                if let first = line.first(where: { $0 != 0x20 && $0 != 0x09 }), first != UInt8(ascii: "{") { lines.append(line) }
                start = end + 1
            }
            chosen = lines.isEmpty ? nil : FormatDetector.detect(lines, among: formats)
            if !lines.isEmpty { onFormat?(source, chosen) }
        }
        let extra: [(key: String, value: JSONValue)] = (recordsSource ? [("file", JSONValue.string(source))] : []) + extraFields
        records = TextRecords(
            format: chosen, multiline: format.isJSON ? .none : multiline, zone: timeZone, referenceMicroseconds: referenceMicroseconds,
            extra: extra, maxRecordBytes: maxLineBytes)
    }

    /// Begins a stream that is fed line by line (`line(_:source:number:)`), as a followed
    /// file is: its reference time and a sample of its first lines to detect its format.
    public func beginStream(_ source: String, referenceMicroseconds: Int64, sample: UnsafeRawBufferPointer) {
        beginSource(source, referenceMicroseconds: referenceMicroseconds, sample: sample)
    }

    /// Whether a stream has begun (its format chosen).
    public var hasBegunStream: Bool { records != nil }

    /// The first line of the text record still open (lines may yet join it), if any.
    public var pendingFirstLine: Int? { records?.pendingFirstLine }

    /// Ends the open text record (nothing more joins it) without ending the stream.
    public func completeRecord() throws {
        if let (doc, first) = records?.finish() { try append(doc, firstLine: first) }
    }

    /// Lines with no time of their own from now on take at least `microseconds`.
    public func advanceReference(to microseconds: Int64) { records?.advanceReference(to: microseconds) }

    /// Documents decoded and not yet stored.
    public var batchCount: Int { batch.count }

    /// Hands over the decoded documents for the caller to store (with a mark of its own),
    /// once the rejects before them are durable.
    public func takeBatch() throws -> [NewDocument] {
        try awaitStore()
        try rejects.sync()
        defer { batch.removeAll(keepingCapacity: true) }
        stored += batch.count
        return batch
    }

    /// After a stream's last line: its last text record joins the batch.
    private func endSource() throws {
        try completeRecord()
        records = nil
    }

    private func append(_ doc: NewDocument, firstLine: Int, source: String? = nil) throws {
        if batch.isEmpty, let source { batchStart = (source, firstLine) }
        batch.append(doc)
        if batch.count >= batchSize { try store(waiting: !overlapsStores) }
    }

    /// A regular file's modification time, else now (µs).
    static func referenceTime(fd: Int32) -> Int64 {
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG {
            return Int64(st.st_mtim.tv_sec) * 1_000_000 + Int64(st.st_mtim.tv_nsec / 1000)
        }
        return Int64(Date().timeIntervalSince1970 * 1e6)
    }

    /// The bytes of a reject that stands for a line too long to keep: its start.
    static let keptOfLongLine = 4096

    /// Reads a whole stream (file descriptor), line by line; `bytesRead` counts the bytes
    /// as inflated.
    public func ingest(fd: Int32, source: String, progress: ((LineIngester) -> Void)? = nil) throws {
        try settlingStores { try read(fd: fd, source: source, progress: progress) }
    }

    /// Runs `body`; when it fails, the batch in flight is waited for first, so what `stored`
    /// and `firstUnstored` then say is what was stored.
    private func settlingStores(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            try? awaitStore()
            throw error
        }
    }

    private func read(fd: Int32, source: String, progress: ((LineIngester) -> Void)?) throws {
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
        // Compressed files (gzip, zstd, bzip2) are read inflated.
        let input = try ByteSources.open(fd: fd, path: source)
        while true {
            let n: Int
            do {
                n = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
            } catch let e as InputError {
                // A corrupt or cut compressed file: what came before the damage is kept.
                try endSource()
                try flush()
                throw e
            }
            if n == 0 { break }
            if records == nil {
                buffer.withUnsafeBytes { beginSource(source, referenceMicroseconds: LineIngester.referenceTime(fd: fd), sample: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            }
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
        try endSource()
        try flush()
    }

    /// Reads lines from memory (an HTTP body), then stores what is left.
    public func ingest(buffer: UnsafeRawBufferPointer, source: String) throws {
        try settlingStores { try read(buffer: buffer, source: source) }
    }

    private func read(buffer: UnsafeRawBufferPointer, source: String) throws {
        var start = 0
        var number = 0
        guard let base = buffer.baseAddress else { return try flush() }
        beginSource(source, referenceMicroseconds: Int64(Date().timeIntervalSince1970 * 1e6), sample: UnsafeRawBufferPointer(rebasing: buffer.prefix(1 << 20)))
        while start < buffer.count {
            let end = memchr(base + start, 0x0a, buffer.count - start).map { $0 - UnsafeMutableRawPointer(mutating: base) } ?? buffer.count
            number += 1
            try line(UnsafeRawBufferPointer(rebasing: buffer[start..<end]), source: source, number: number)
            start = end + 1
        }
        try endSource()
        try flush()
    }

    private func reject(_ r: Rejection, _ bytes: UnsafeRawBufferPointer, source: String, number: Int) throws {
        try awaitStore()
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
        if records == nil { beginSource(source, referenceMicroseconds: Int64(Date().timeIntervalSince1970 * 1e6), sample: bytes) }
        let isJSON: Bool
        switch format {
        case .json: isJSON = true
        case .text, .format: isJSON = false
        case .auto: isJSON = bytes.first { $0 != 0x20 && $0 != 0x09 } == UInt8(ascii: "{")
        }
        if isJSON {
            // A JSON line ends the text record before it.
            if let (doc, first) = records?.finish() { try append(doc, firstLine: first, source: source) }
            if batch.isEmpty { batchStart = (source, number) }
            switch decoder.decode(bytes, now: Int64(Date().timeIntervalSince1970 * 1e6)) {
            case .success(var doc):
                if !extraFields.isEmpty { doc.js = withExtraFields(doc.js) }
                try append(doc, firstLine: number)
            case .failure(let r):
                try reject(r, bytes, source: source, number: number)
            }
        } else {
            guard let text = String(validating: bytes, as: UTF8.self) else {
                try reject(Rejection(reason: .invalidUTF8, detail: "line is not UTF-8"), bytes, source: source, number: number)
                return
            }
            if let (doc, first) = records?.add(bytes, text: text, number: number) { try append(doc, firstLine: first, source: source) }
        }
    }

    private func withExtraFields(_ js: String) -> String {
        guard case .object(var members)? = try? JSONParser.parse(js) else { return js }
        for f in extraFields where !members.contains(where: { $0.key == f.key }) { members.append(f) }
        return JSONValue.object(members).serialized()
    }

    /// Stores the decoded lines and waits until they, and any batch in flight, are durable.
    public func flush() throws { try store(waiting: true) }

    /// Stores the batch: at once, or handed to `storer` (then the next call collects it).
    private func store(waiting: Bool) throws {
        try awaitStore()
        try rejects.sync()
        guard !batch.isEmpty else { return }
        if refusesOutsideRetention, let start = index.retentionStartMicroseconds() {
            let old = batch.compactMap(\.microseconds).filter { $0 < start }
            if let oldest = old.min() {
                firstUnstored = batchStart
                throw OutsideRetention(
                    index: index.name, lines: old.count, of: batch.count, oldestMicroseconds: oldest, retentionDays: index.settings.retentionDays,
                    nowMicroseconds: Int64(Date().timeIntervalSince1970 * 1e6))
            }
        }
        let docs = batch
        batch.removeAll(keepingCapacity: true)
        if waiting {
            do {
                try index.append(docs, mode: .insert)
            } catch {
                firstUnstored = batchStart
                throw error
            }
            stored += docs.count
        } else {
            let pending = StoreInFlight(start: batchStart, count: docs.count)
            inFlight = pending
            storer.async { [index] in
                do { try index.append(docs, mode: .insert) } catch { pending.error = error }
                pending.done.signal()
            }
        }
    }

    /// Waits for the batch in flight; its failure is this call's, resuming at its first line.
    private func awaitStore() throws {
        guard let pending = inFlight else { return }
        inFlight = nil
        pending.done.wait()
        if let error = pending.error {
            firstUnstored = pending.start
            batch.removeAll(keepingCapacity: true)
            throw error
        }
        stored += pending.count
    }
}

/// A batch being stored while the next is decoded. `error` is written before `done` is
/// signalled and read only after waiting on it.
private final class StoreInFlight: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    let start: (source: String, line: Int)?
    let count: Int
    var error: (any Error)?

    init(start: (source: String, line: Int)?, count: Int) {
        self.start = start
        self.count = count
    }
}

/// Lines older than an index keeps, found before they were stored.
public struct OutsideRetention: Error, CustomStringConvertible, Sendable {
    public var index: String
    public var lines: Int
    public var of: Int
    public var oldestMicroseconds: Int64
    public var retentionDays: Int
    public var nowMicroseconds: Int64

    /// Days of retention that keep the oldest of them (with a day to spare).
    public var daysNeeded: Int { Int((nowMicroseconds - oldestMicroseconds) / 86_400_000_000) + 2 }

    public var description: String {
        let oldest = Timestamps.iso(microseconds: oldestMicroseconds, zone: TimeZone(identifier: "UTC")!)
        return "\(lines) of the next \(of) lines (the oldest from \(oldest)) are older than index '\(index)' keeps "
            + "(\(retentionDays) days): they would be dropped at the next maintenance, so they were not stored. "
            + "Keep them with `alco index alter \(index) --retention-days \(daysNeeded)` (or `alco ingest --retention-days "
            + "\(daysNeeded)` when it creates the index), then ingest again"
    }
}
