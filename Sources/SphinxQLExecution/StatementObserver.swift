import CoreMetrics
import Logging
import SphinxQL

/// What the server learns of each statement it runs: its latency by kind
/// (`alco_sphinxql_statement_duration_seconds`), failures by kind
/// (`alco_sphinxql_statement_errors_total`), and, in its log, every statement at debug level and
/// the slow ones at warning level with their duration and text, as MySQL's slow query log.
public struct StatementLog: Sendable {
    /// Carries the connection's metadata (its id, its user); each statement adds its number.
    public var logger: Logger
    /// Statements at least this long are logged as slow; nil logs none.
    public var slowNanoseconds: UInt64?

    public init(logger: Logger, slowMilliseconds: Int?) {
        self.logger = logger
        // Bounded before multiplying: a threshold of more than a day means "never".
        self.slowNanoseconds = slowMilliseconds.map { UInt64(min(max($0, 0), 86_400_000)) * 1_000_000 }
    }

    /// How much of a statement's text a log line carries: an INSERT of a thousand lines is
    /// half a megabyte.
    static let excerptBytes = 1024

    static func excerpt(_ text: String) -> String {
        let utf8 = text.utf8
        guard utf8.count > excerptBytes else { return text }
        // Decoding repairs a character cut in two.
        return String(decoding: utf8.prefix(excerptBytes), as: UTF8.self) + "… (\(utf8.count) bytes)"
    }
}

/// The statement histograms and error counters, one per kind, made on first use so that the
/// hot path never looks a metric up by name.
enum StatementMetrics {
    static let durations: [String: CoreMetrics.Timer] = Dictionary(
        uniqueKeysWithValues: (Statement.kinds + ["invalid"]).map {
            ($0, CoreMetrics.Timer(label: "alco_sphinxql_statement_duration_seconds", dimensions: [("kind", $0)]))
        })
    static let errors: [String: Counter] = Dictionary(
        uniqueKeysWithValues: (Statement.kinds + ["invalid"]).map {
            ($0, Counter(label: "alco_sphinxql_statement_errors_total", dimensions: [("kind", $0)]))
        })
}

extension Session {
    /// Records one finished statement: `kind` is "invalid" for a batch that did not parse.
    func observe(kind: String, text: String, nanoseconds: UInt64, error: String?) {
        StatementMetrics.durations[kind]?.recordNanoseconds(Int64(clamping: nanoseconds))
        if error != nil { StatementMetrics.errors[kind]?.increment() }
        statementsRun &+= 1
        guard let log = statementLog else { return }
        let milliseconds = Double(nanoseconds) / 1e6
        let slow = log.slowNanoseconds.map { nanoseconds >= $0 } ?? false
        let level: Logger.Level = slow ? .warning : .debug
        guard log.logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = [
            "statement": "\(statementsRun)", "kind": "\(kind)",
            "duration_ms": "\((milliseconds * 1000).rounded() / 1000)", "sql": "\(StatementLog.excerpt(text))",
        ]
        if let error { metadata["error"] = "\(error)" }
        log.logger.log(level: level, slow ? "slow statement" : "statement", metadata: metadata)
    }
}
