import AlcoIndex
import Foundation
import Testing

@testable import AlcoIngest

/// Time layouts, format detection, levels and multiline records, without an index.
@Suite struct LogFormatTests {
    func parse(_ layout: String, _ text: String) throws -> TimeLayout.Parsed? {
        let l = try TimeLayout(layout)
        return Array(text.utf8).withUnsafeBytes { l.parse($0) }
    }

    func utc(_ text: String) -> Int64 {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return Int64((f.date(from: text)!.timeIntervalSince1970 * 1e6).rounded())
    }

    @Test func layoutsReadWhatLogsWrite() throws {
        let p = try #require(try parse("%Y-%m-%d%T%H:%M:%S%f%z", "2026-12-03T10:11:12,345678+05:30 rest"))
        #expect(p.year == 2026 && p.month == 12 && p.day == 3 && p.hour == 10 && p.second == 12)
        #expect(p.microsecond == 345_678 && p.offset == 19_800)
        #expect(try parse("%b %d %H:%M:%S", "Jul  1 09:00:55")?.day == 1)
        #expect(try parse("%a %b %d %H:%M:%S%f %Y", "[Sun Dec 04 04:47:44 2005]".dropFirst().description)?.year == 2005)
        #expect(try parse("%Y%m%d-%H:%M:%S:%L", "20171223-22:53:13:16")?.microsecond == 16_000)
        #expect(try parse("%y%m%d %H%M%S", "081109 203615")?.year == 2008)
        #expect(try parse("%s", "1117838570")?.epochSeconds == 1_117_838_570)
        // What is not a time is not read as one.
        #expect(try parse("%Y-%m-%d", "2026-02-30") == nil)
        #expect(try parse("%H:%M:%S", "25:00:00") == nil)
        #expect(try parse("%b %d", "Foo 12") == nil)
        #expect(throws: FormatError.self) { try TimeLayout("%Q") }
    }

    @Test func zonesAndTheYearRule() throws {
        var r = TimeResolver(zone: TimeZone(identifier: "Europe/Moscow")!, referenceMicroseconds: utc("2026-01-10T00:00:00.000Z"))
        let local = try #require(try parse("%Y-%m-%d %H:%M:%S", "2026-01-05 03:00:00"))
        #expect(r.microseconds(local) == utc("2026-01-05T00:00:00.000Z"))
        // Year-less: December is last year (this year's would be after the file was written),
        // and January after it rolls on.
        var y = TimeResolver(zone: TimeZone(identifier: "UTC")!, referenceMicroseconds: utc("2026-01-10T00:00:00.000Z"))
        let dec = try #require(try parse("%b %d %H:%M:%S", "Dec 31 23:59:59"))
        let jan = try #require(try parse("%b %d %H:%M:%S", "Jan  1 00:00:01"))
        #expect(y.microseconds(dec) == utc("2025-12-31T23:59:59.000Z"))
        #expect(y.microseconds(jan) == utc("2026-01-01T00:00:01.000Z"))
    }

    @Test func levelsAreNormalised() {
        #expect(LogLevel.normalized("E") == "ERROR" && LogLevel.normalized("warn") == "WARNING")
        #expect(LogLevel.normalized("SEVERE") == "ERROR" && LogLevel.normalized("notice") == "INFO")
        #expect(LogLevel.normalized("F") == "CRITICAL" && LogLevel.normalized("V") == "DEBUG")
        #expect(LogLevel.normalized("banana") == nil)
        #expect(LogLevel.fromPriority(11) == "ERROR" && LogLevel.fromPriority(14) == "INFO")
    }

    func records(_ text: String, format: LogFormat?, multiline: MultilineRule = .auto) -> [NewDocument] {
        var r = TextRecords(format: format, multiline: multiline, zone: TimeZone(identifier: "UTC")!, referenceMicroseconds: 1_000_000)
        var out: [NewDocument] = []
        for (k, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            let bytes = Array(line.utf8)
            if let d = bytes.withUnsafeBytes({ r.add($0, text: String(line), number: k + 1) }) { out.append(d.document) }
        }
        if let d = r.finish() { out.append(d.document) }
        return out
    }

    @Test func javaStackTracesStayWithTheirErrorLine() throws {
        let log = """
            2026-12-03 10:00:00.001 [main] INFO  com.example.App - started
            2026-12-03 10:00:01.002 [worker-1] ERROR com.example.Foo - request failed
            java.lang.IllegalStateException: boom
            \tat com.example.Foo.bar(Foo.java:42)
            \tat com.example.App.main(App.java:7)
            Caused by: java.io.IOException: disk
            \t... 2 more
            2026-12-03 10:00:02.003 [main] WARN  com.example.App - slow
            """
        let lines = [String](log.split(separator: "\n").map(String.init))
        let format = try #require(FormatDetector.detect(lines.map { Array($0.utf8) }, among: LogFormat.builtIn))
        #expect(format.name == "logback")
        let docs = records(log, format: format)
        #expect(docs.count == 3)
        #expect(docs[1].logline.hasPrefix("2026-12-03 10:00:01.002 [worker-1] ERROR") && docs[1].logline.hasSuffix("\t... 2 more"))
        #expect(docs[1].microseconds == utc("2026-12-03T10:00:01.002Z"))
        #expect(docs[1].js.contains(#""levelname":"ERROR""#) && docs[1].js.contains(#""thread":"worker-1""#))
        #expect(docs[2].js.contains(#""levelname":"WARNING""#))
        // Without joining, every line is its own record, at the time of the record before.
        let flat = records(log, format: format, multiline: .none)
        #expect(flat.count == 8 && flat[2].microseconds == docs[1].microseconds)
    }

    @Test func pythonTracebacksWithoutAKnownFormat() throws {
        let log = """
            ERROR:app:payment failed
            Traceback (most recent call last):
              File "app.py", line 3, in <module>
                1 / 0
            ZeroDivisionError: division by zero
            INFO:app:next
            """
        let docs = records(log, format: nil)
        // The exception's own last line is not indented: a plain-text log cannot tell it from
        // a record, so it stands alone; the traceback's frames stay with the error.
        #expect(docs.map { $0.logline.split(separator: "\n").count } == [4, 1, 1])
        #expect(docs.allSatisfy { $0.microseconds == 1_000_000 })
        let python = """
            2026-12-03 10:00:00,123 - app - ERROR - payment failed
            Traceback (most recent call last):
              File "app.py", line 3, in <module>
            ZeroDivisionError: division by zero
            2026-12-03 10:00:01,000 - app - INFO - next
            """
        let format = try #require(FormatDetector.detect(python.split(separator: "\n").map { Array($0.utf8) }, among: LogFormat.builtIn))
        #expect(format.name == "python")
        #expect(records(python, format: format).map { $0.logline.split(separator: "\n").count } == [4, 1])
    }

    @Test func aUsersFormatsFile() throws {
        let formats = try LogFormat.load(
            json: #"[{"name": "myapp", "pattern": "(?P<time>\\d{10}) (?P<level>[A-Z]) (?P<user>\\w+): ", "time": "%s"}]"#)
        let docs = records("1764756000 W alice: disk almost full\n", format: formats[0])
        #expect(docs.first?.microseconds == 1_764_756_000_000_000)
        #expect(docs.first?.js == #"{"levelname":"WARNING","level":"W","user":"alice"}"#)
        #expect(throws: FormatError.self) { try LogFormat.load(json: #"[{"name": "x", "pattern": "(", "time": "%s"}]"#) }
        #expect(throws: FormatError.self) { try LogFormat.load(json: #"[{"name": "x", "pattern": "(?P<time>a)"}]"#) }
    }
}
