import AlcoIndex
import AlcoIngest
import Foundation

/// What `POST /api/v1/ingest/<index>` answers: how many lines were stored and, per bad line,
/// why not. Good lines are kept even when others are bad.
struct IngestReport: Encodable, Equatable {
    struct LineError: Encodable, Equatable {
        var line: Int
        var reason: String
        var detail: String
    }

    var index: String
    var stored = 0
    var rejected = 0
    var errors: [LineError] = []
}

/// JSON lines (logstash messages, or any objects with a message and a time field) into one
/// durable batch.
enum LineIngest {
    /// Errors listed in a response; the rest are counted and kept in the rejects store.
    static let maxListedErrors = 100

    static func ingest(_ body: [UInt8], into index: LogIndex, decoder: LogstashDecoder, rejects: RejectStore,
                       source: String) throws -> IngestReport {
        var report = IngestReport(index: index.name)
        var docs: [NewDocument] = []
        let now = Int64(Date().timeIntervalSince1970 * 1e6)
        try body.withUnsafeBytes { all in
            var start = 0
            var number = 0
            while start < all.count {
                var end = start
                while end < all.count && all[end] != 0x0A { end += 1 }
                number += 1
                var lineEnd = end
                if lineEnd > start && all[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let line = UnsafeRawBufferPointer(rebasing: all[start..<lineEnd])
                start = end + 1
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                switch decoder.decode(line, now: now) {
                case .success(let doc):
                    docs.append(doc)
                case .failure(let rejection):
                    report.rejected += 1
                    if report.errors.count < maxListedErrors {
                        report.errors.append(.init(line: number, reason: rejection.reason.rawValue, detail: rejection.detail))
                    }
                    try rejects.record(rejection, raw: line, source: source, line: number, index: index.name)
                }
            }
        }
        if report.rejected > 0 { try rejects.sync() }
        if !docs.isEmpty { try index.append(docs) }
        report.stored = docs.count
        return report
    }
}
