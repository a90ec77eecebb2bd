import AlcoIndex
import AlcoIngest
import ArgumentParser
import Foundation

struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load logstash JSON lines or plain text lines from files or stdin.",
        discussion: """
            A line starting with '{' is read as a logstash/logcollect JSON message; any other line \
            is stored as it is, stamped with the time it was read. Lines that cannot be stored go \
            to DATA/rejects/ with the file, line number and reason. The index is created when it \
            does not exist.
            """)

    @OptionGroup var data: DataOptions
    @Option(name: .long, help: "Index to load into.") var index: String
    @Option(name: .long, help: "auto, json or text.") var format: String = "auto"
    @Option(name: .long, help: "Documents per durable batch.") var batchSize: Int = 8192
    @Argument(help: "Files to read (stdin when none).") var files: [String] = []

    func run() throws {
        guard let lineFormat = LineFormat(rawValue: format) else {
            warn("alco: unknown format '\(format)' (use auto, json or text)")
            throw ExitCode(2)
        }
        let catalog = try reportingErrors { try data.openCatalog() }
        defer { try? catalog.close() }
        let target: LogIndex = try reportingErrors {
            if let i = catalog.indexIfExists(index) { return i }
            let i = try catalog.createIndex(IndexSettings(name: index))
            warn("alco: created index '\(index)'")
            return i
        }
        let rejects = try reportingErrors { try RejectStore(directory: data.directory + "/rejects") }
        let ingester = LineIngester(index: target, rejects: rejects, format: lineFormat)
        ingester.batchSize = max(1, batchSize)
        let started = Date()
        var lastReport = Date()
        let progress: (LineIngester) -> Void = { ing in
            guard Terminal.stderrIsTTY, Date().timeIntervalSince(lastReport) >= 0.5 else { return }
            lastReport = Date()
            let secs = max(0.001, Date().timeIntervalSince(started))
            let rate = Int(Double(ing.stored) / secs)
            FileHandle.standardError.write(Data("\r\(ing.stored) lines, \(rate) lines/s, \(ing.rejected) rejected   ".utf8))
        }
        do {
            if files.isEmpty {
                try ingester.ingest(fd: 0, source: "<stdin>", progress: progress)
            }
            for path in files {
                let fd = open(path, O_RDONLY)
                guard fd >= 0 else { throw AlcoError.io(path: path, operation: "open", errno: errno) }
                defer { close(fd) }
                try ingester.ingest(fd: fd, source: path, progress: progress)
            }
        } catch {
            // One line: the reason, what was kept, and where to start again.
            if Terminal.stderrIsTTY { FileHandle.standardError.write(Data("\r".utf8)) }
            let reason = (error as? AlcoError)?.description ?? "\(error)"
            var line = "alco: \(reason); \(ingester.stored) lines stored"
            if let resume = ingester.firstUnstored {
                line += ", none from line \(resume.line) of \(resume.source) on"
            }
            warn(line)
            throw ExitCode(2)
        }
        rejects.close()
        if Terminal.stderrIsTTY { FileHandle.standardError.write(Data("\r".utf8)) }
        let secs = max(0.001, Date().timeIntervalSince(started))
        let mb = Double(ingester.bytesRead) / 1e6
        warn(
            String(
                format: "alco: ingested %d lines into '%@' in %.2fs (%.0f lines/s, %.1f MB/s), %d rejected%@",
                ingester.stored, index, secs, Double(ingester.stored) / secs, mb / secs, ingester.rejected,
                ingester.rejected > 0 ? " (see \(data.directory)/rejects/)" : ""))
    }
}
