import AlcoIndex
import AlcoIngest
import ArgumentParser
import Foundation

struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load log files (any text format alco knows, or logstash JSON lines) from files or stdin.",
        discussion: """
            Each file's format is detected from its first lines (--list-formats shows them): every \
            record takes the time and level written in its line, and lines that continue a record \
            (stack traces) are joined to it. A line starting with '{' is read as a logstash/logcollect \
            JSON message. Lines with no time of their own take the time of the record before them \
            (at first, the file's modification time). Lines that cannot be stored go to DATA/rejects/ \
            with the file, line number and reason. The index is created when it does not exist.
            """)

    @OptionGroup var data: DataOptions
    @Option(name: .long, help: "Index to load into.") var index: String?
    @Option(name: .long, help: "auto (detect per file), json, text (no format), or a format's name.") var format: String = "auto"
    @Option(name: .long, help: "A JSON file of more formats (see --list-formats for the fields).") var formats: String?
    @Option(name: .long, help: "auto, none, or a pattern the first line of a record matches.") var multiline: String = "auto"
    @Option(name: .long, help: "Zone of times written without one (default: the index's).") var timezone: String?
    @Flag(name: .long, help: "List the formats alco detects, and exit.") var listFormats = false
    @Option(name: .long, help: "Days a new index keeps (when this creates it).") var retentionDays: Int?
    @Flag(inversion: .prefixedNo, help: "A progress line on stderr (default: when stderr is a terminal).") var progress: Bool?
    @Option(name: .long, help: "Documents per durable batch.") var batchSize: Int = 8192
    @Flag(inversion: .prefixedNo, help: "Give each line its message pattern (see `alco patterns`; default on; $ALCO_PATTERNS=on|off).")
    var patterns: Bool?
    @Flag(name: .long, help: .hidden) var noBackground = false  // seal only on back-pressure, never merge: a repeatable run for instruction counts
    @Argument(help: "Files to read (stdin when none).") var files: [String] = []

    func knownFormats() throws -> [LogFormat] {
        guard let path = formats else { return LogFormat.builtIn }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("cannot read the formats file \(path)")
        }
        do {
            // The user's come first: on a tie, detection prefers them.
            return try LogFormat.load(json: text) + LogFormat.builtIn
        } catch {
            throw ValidationError("formats file \(path): \(error)")
        }
    }

    func run() throws {
        let known = try knownFormats()
        if listFormats {
            for f in known {
                print("\(f.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(f.spec.title)")
                print("\(String(repeating: " ", count: 17))time: \(f.spec.time.joined(separator: " | "))  pattern: \(f.spec.pattern)")
            }
            return
        }
        guard let index else { throw ValidationError("--index is required") }
        guard let lineFormat = LineFormat(name: format, formats: known) else {
            warn("alco: unknown format '\(format)' (use auto, json, text or one of: \(known.map(\.name).joined(separator: ", ")))")
            throw ExitCode(2)
        }
        let multilineRule: MultilineRule
        do {
            multilineRule = try MultilineRule(multiline)
        } catch {
            throw ValidationError("--multiline: \(error)")
        }
        var zone: TimeZone?
        if let timezone {
            guard let z = TimeZone(identifier: timezone) else { throw ValidationError("unknown time zone '\(timezone)'") }
            zone = z
        }
        let catalog = try reportingErrors { try data.openCatalog(background: !noBackground, patterns: patterns) }
        defer { try? catalog.close() }
        let target: LogIndex = try reportingErrors {
            if let i = catalog.indexIfExists(index) { return i }
            var settings = IndexSettings(name: index)
            if let timezone { settings.timeZone = timezone }
            if let retentionDays { settings.retentionDays = retentionDays }
            let i = try catalog.createIndex(settings)
            warn("alco: created index '\(index)'")
            return i
        }
        let rejects = try reportingErrors { try RejectStore(directory: data.directory + "/rejects") }
        let ingester = LineIngester(index: target, rejects: rejects, format: lineFormat)
        ingester.batchSize = max(1, batchSize)
        ingester.overlapsStores = true
        ingester.formats = known
        ingester.multiline = multilineRule
        if let zone { ingester.timeZone = zone }
        ingester.recordsSource = !files.isEmpty
        ingester.refusesOutsideRetention = true
        let meter = ProgressLine(enabled: progress ?? Terminal.stderrIsTTY)
        ingester.onFormat = { source, format in
            meter.clear()
            warn("alco: \(source): \(format.map { "format \($0.name)" } ?? "no known format (plain text)")")
        }
        let started = Date()
        do {
            if files.isEmpty {
                meter.begin(file: "<stdin>", fd: 0)
                try ingester.ingest(fd: 0, source: "<stdin>") { meter.update($0) }
            }
            for path in RotationOrder.sorted(files) {
                let fd = open(path, O_RDONLY)
                guard fd >= 0 else { throw AlcoError.io(path: path, operation: "open", errno: errno) }
                defer { close(fd) }
                meter.begin(file: path, fd: fd)
                try ingester.ingest(fd: fd, source: path) { meter.update($0) }
            }
        } catch {
            // One line: the reason, what was kept, and where to start again.
            meter.clear()
            let reason = (error as? AlcoError)?.description ?? "\(error)"
            var line = "alco: \(reason); \(ingester.stored) lines stored"
            if let resume = ingester.firstUnstored {
                line += ", none from line \(resume.line) of \(resume.source) on"
            }
            warn(line)
            throw ExitCode(2)
        }
        rejects.close()
        meter.clear()
        let secs = max(0.001, Date().timeIntervalSince(started))
        let mb = Double(ingester.bytesRead) / 1e6
        warn(
            String(
                format: "alco: ingested %d lines into '%@' in %.2fs (%.0f lines/s, %.1f MB/s), %d rejected%@",
                ingester.stored, index, secs, Double(ingester.stored) / secs, mb / secs, ingester.rejected,
                ingester.rejected > 0 ? " (see \(data.directory)/rejects/)" : ""))
    }
}

/// `alco ingest`'s progress on stderr, rewritten in place a few times a second: the file, how
/// far into it (and the time left, for a file of known size), lines stored, lines/s and MB/s.
/// Off when stderr is not a terminal unless asked for.
final class ProgressLine {
    let enabled: Bool
    private var file = ""
    private var fd: Int32 = -1
    private var size: Int64?
    private var fileStarted = Date()
    private var linesAtStart = 0
    private var bytesAtStart = 0
    private var lastDrawn = Date.distantPast
    private var width = 0

    init(enabled: Bool) { self.enabled = enabled }

    func begin(file: String, fd: Int32) {
        self.file = file
        self.fd = fd
        var st = stat()
        size = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? Int64(st.st_size) : nil
        fileStarted = Date()
        lastDrawn = .distantPast
    }

    func update(_ ing: LineIngester) {
        guard enabled else { return }
        let now = Date()
        if lastDrawn == .distantPast {
            linesAtStart = ing.stored
            bytesAtStart = ing.bytesRead
        } else if now.timeIntervalSince(lastDrawn) < 0.25 {
            return
        }
        lastDrawn = now
        let secs = max(0.001, now.timeIntervalSince(fileStarted))
        let lines = ing.stored - linesAtStart
        let bytes = Double(ing.bytesRead - bytesAtStart)
        var text = "\((file as NSString).lastPathComponent): "
        // How far into the file: its offset (for a compressed file, of the compressed bytes).
        if let size, size > 0 {
            let at = max(0, lseek(fd, 0, SEEK_CUR))
            let done = Double(at) / Double(size)
            text += "\(ProgressLine.megabytes(Double(at))) of \(ProgressLine.megabytes(Double(size))) (\(Int(done * 100))%)"
            if done > 0.01, done < 1 { text += ", ETA \(Int((secs / done - secs).rounded()))s" }
        } else {
            text += ProgressLine.megabytes(bytes)
        }
        text += String(format: ", %d lines, %.0f lines/s, %.1f MB/s, %d rejected", lines, Double(lines) / secs, bytes / 1e6 / secs, ing.rejected)
        let padded = text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0)
        width = text.count
        FileHandle.standardError.write(Data(("\r" + padded).utf8))
    }

    /// Wipes the line, before something else is written to stderr.
    func clear() {
        guard enabled, width > 0 else { return }
        FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: width) + "\r").utf8))
        width = 0
    }

    static func megabytes(_ bytes: Double) -> String { String(format: "%.1f MB", bytes / 1e6) }
}
