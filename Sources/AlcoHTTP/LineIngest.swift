import AlcoIndex
import AlcoIngest
import Dispatch
import Hummingbird

/// What `POST /api/v1/ingest/<index>` answers: how many lines were stored and, per bad line,
/// why not. Good lines are kept even when others are bad.
struct IngestReport: Equatable {
    struct LineError: Equatable {
        var line: Int
        var reason: String
        var detail: String
    }

    var index: String
    var stored = 0
    var errors: [LineError] = []
    /// Every rejected line by reason, for `/metrics` (the listed errors stop at 100).
    var rejectedByReason: [String: Int] = [:]
    var rejected: Int { rejectedByReason.values.reduce(0, +) }

    var json: JSONValue {
        .object([
            ("index", .string(index)), ("stored", .number(text: String(stored))), ("rejected", .number(text: String(rejected))),
            (
                "errors",
                .array(
                    errors.map { e in
                        .object([("line", .number(text: String(e.line))), ("reason", .string(e.reason)), ("detail", .string(e.detail))])
                    })
            ),
        ])
    }
}

/// JSON lines (logstash messages, or any objects with a message and a time field) into one
/// durable batch, through the same line ingester as `alco ingest`.
enum LineIngest {
    /// Errors listed in a response; the rest are counted and kept in the rejects store.
    static let maxListedErrors = 100

    static func ingest(
        _ body: [UInt8], into index: LogIndex, rejects: RejectStore, source: String,
        messageField: String?, timeField: String?, format: LineFormat = .json,
        extraFields: [(key: String, value: JSONValue)] = []
    ) throws -> IngestReport {
        let ingester = LineIngester(index: index, rejects: rejects, format: format)
        ingester.extraFields = extraFields
        ingester.batchSize = .max  // one durable append per request
        if let messageField { ingester.decoder.messageField = messageField }
        if let timeField { ingester.decoder.timeField = timeField }
        var errors: [IngestReport.LineError] = []
        var byReason: [String: Int] = [:]
        ingester.onReject = { number, rejection in
            byReason[rejection.reason.rawValue, default: 0] += 1
            if errors.count < maxListedErrors {
                errors.append(.init(line: number, reason: rejection.reason.rawValue, detail: rejection.detail))
            }
        }
        let started = DispatchTime.now().uptimeNanoseconds
        try body.withUnsafeBytes { try ingester.ingest(buffer: $0, source: source) }
        IngestMetrics.batchDuration(index: index.name, source: "http").recordNanoseconds(since: started)
        return IngestReport(index: index.name, stored: ingester.stored, errors: errors, rejectedByReason: byReason)
    }

    /// The index to ingest into; with `create=true` one that does not exist yet is created
    /// with default settings.
    static func target(_ name: String, create: Bool, services: HTTPServices) throws -> LogIndex {
        if let index = services.catalog.indexIfExists(name) { return index }
        guard create else {
            throw APIError.notFound("no index '\(name)'; create it with `alco index create \(name)`, POST /api/v1/indexes, or add create=true")
        }
        do {
            let index = try services.catalog.createIndex(IndexSettings(name: name))
            services.indexCreated(index)
            return index
        } catch AlcoError.indexExists {
            return try services.catalog.index(name)
        } catch let e as AlcoError {
            throw APIError.badRequest(e.description)
        }
    }

    /// `field=KEY:VALUE` parameters: fields added to every line that lacks them.
    static func extraFields(_ q: Parameters) throws -> [(key: String, value: JSONValue)] {
        try q.getAll("field").map { f in
            let parts = f.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw APIError.badRequest("field takes KEY:VALUE, not '\(f)'") }
            return (parts[0], .string(parts[1]))
        }
    }
}
