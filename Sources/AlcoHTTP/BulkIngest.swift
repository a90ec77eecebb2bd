import AlcoIndex
import AlcoIngest
import Foundation

/// The Elasticsearch bulk API (`POST /_bulk`, `POST /<index>/_bulk`), so Filebeat, Vector,
/// Fluent Bit and Logstash's elasticsearch output can ship to alco. Each `index`/`create`
/// action's source is one log line; the answer says per item what happened, as
/// Elasticsearch's does. `delete` and `update` are answered per item as not supported.
enum BulkIngest {
    struct Action {
        var op: String
        var index: String?
        var id: String?
        var source: Range<Int>?
        /// The action line itself was bad.
        var error: String?
    }

    /// Splits a bulk body into actions (a metadata line, then a source line for index/create).
    static func parse(_ body: [UInt8]) -> [Action] {
        var lines: [Range<Int>] = []
        var start = 0
        while start < body.count {
            var end = start
            while end < body.count && body[end] != 0x0A { end += 1 }
            var e = end
            if e > start && body[e - 1] == 0x0D { e -= 1 }
            if body[start..<e].contains(where: { $0 != 0x20 && $0 != 0x09 }) { lines.append(start..<e) }
            start = end + 1
        }
        var actions: [Action] = []
        var k = 0
        while k < lines.count {
            let meta = lines[k]
            k += 1
            guard let object = try? JSONParser.parse(Array(body[meta])), case .object(let members) = object,
                members.count == 1
            else {
                actions.append(Action(op: "index", error: "malformed action line: expected {\"index\": {...}}"))
                continue
            }
            let (op, params) = members[0]
            var action = Action(op: op)
            if case .object(let p) = params {
                for (key, value) in p {
                    switch (key, value) {
                    case ("_index", .string(let s)): action.index = s
                    case ("_id", .string(let s)): action.id = s
                    case ("_id", .number(let t)): action.id = t
                    default: break
                    }
                }
            }
            switch op {
            case "index", "create":
                guard k < lines.count else {
                    action.error = "the action has no source line"
                    actions.append(action)
                    continue
                }
                action.source = lines[k]
                k += 1
            case "update":
                k += 1  // its partial document
                action.error = "update is not supported: log lines are immutable; use index with the same _id"
            case "delete":
                action.error = "delete is not supported over _bulk; use DELETE FROM over SphinxQL"
            default:
                action.error = "unknown bulk action '\(op)'"
            }
            actions.append(action)
        }
        return actions
    }

    /// Lines stored and refused for one index, for `/metrics`.
    struct Counts {
        var stored = 0
        /// By reason: the decoder's, or `bad_request` / `conflict` for items refused before it.
        var rejected: [String: Int] = [:]
    }

    /// Runs the actions; returns the Elasticsearch-shaped response body and what each index got.
    static func run(
        _ body: [UInt8], defaultIndex: String?, catalog: Catalog, decoder: LogstashDecoder,
        rejects: RejectStore
    ) throws -> (response: JSONValue, counts: [String: Counts]) {
        let started = Date()
        let startedUptime = DispatchTime.now().uptimeNanoseconds
        let actions = parse(body)
        let now = Int64(started.timeIntervalSince1970 * 1e6)
        var items = [JSONValue](repeating: .null, count: actions.count)
        // Good sources grouped per index and write mode, stored as one durable batch each.
        var batches: [String: (index: LogIndex, replace: [(Int, NewDocument)], insert: [(Int, NewDocument)])] = [:]
        var counts: [String: Counts] = [:]
        var failed = false
        /// `countedAs`: the reason `/metrics` counts the item under; nil for items not refused
        /// (the disk failed, so the shipper retries them).
        func fail(_ k: Int, _ op: String, _ index: String?, status: Int, type: String, reason: String, countedAs: String? = "bad_request") {
            failed = true
            if let countedAs, let index, catalog.indexIfExists(index) != nil {
                counts[index, default: Counts()].rejected[countedAs, default: 0] += 1
            }
            var inner: [(key: String, value: JSONValue)] = []
            if let index { inner.append(("_index", .string(index))) }
            inner.append(("status", .number(text: String(status))))
            inner.append(("error", .object([("type", .string(type)), ("reason", .string(reason))])))
            items[k] = .object([(op, .object(inner))])
        }
        for (k, a) in actions.enumerated() {
            let name = a.index ?? defaultIndex
            if let error = a.error {
                fail(k, a.op, name, status: 400, type: "illegal_argument_exception", reason: error)
                continue
            }
            guard let name else {
                fail(k, a.op, nil, status: 400, type: "action_request_validation_exception", reason: "index is missing")
                continue
            }
            guard let index = catalog.indexIfExists(name) else {
                fail(
                    k, a.op, name, status: 404, type: "index_not_found_exception",
                    reason: "no such index [\(name)]; create it with `alco index create \(name)`")
                continue
            }
            var id: UInt64?
            if let text = a.id {
                guard let n = UInt64(text), n > 0 else {
                    fail(
                        k, a.op, name, status: 400, type: "illegal_argument_exception",
                        reason: "alco ids are positive integers (µs since epoch × 1000 + sequence), not '\(text)'")
                    continue
                }
                id = n
            }
            let decoded = body.withUnsafeBytes { decoder.decode(UnsafeRawBufferPointer(rebasing: $0[a.source!]), now: now) }
            switch decoded {
            case .failure(let rejection):
                try body.withUnsafeBytes {
                    try rejects.record(
                        rejection, raw: UnsafeRawBufferPointer(rebasing: $0[a.source!]), source: "http:_bulk",
                        line: nil, index: name)
                }
                fail(
                    k, a.op, name, status: 400, type: "mapper_parsing_exception", reason: "\(rejection.reason.rawValue): \(rejection.detail)",
                    countedAs: rejection.reason.rawValue)
            case .success(var doc):
                doc.id = id
                if a.op == "create", let id, index.contains(id) {
                    fail(
                        k, a.op, name, status: 409, type: "version_conflict_engine_exception",
                        reason: "[\(id)]: document already exists", countedAs: "conflict")
                    continue
                }
                var b = batches[name] ?? (index, [], [])
                if a.op == "index" && id != nil { b.replace.append((k, doc)) } else { b.insert.append((k, doc)) }
                batches[name] = b
            }
        }
        try rejects.sync()
        for (name, b) in batches {
            for (mode, group) in [(WriteMode.replace, b.replace), (WriteMode.insert, b.insert)] where !group.isEmpty {
                let ids: [UInt64]
                do {
                    ids = try b.index.append(group.map(\.1), mode: mode)
                } catch let e as AlcoError where e.isIO {
                    // Not stored: each item fails alone, so the shipper retries just these.
                    for (k, _) in group {
                        fail(
                            k, actions[k].op, name, status: e.isOutOfSpace ? 507 : 500, type: "storage_exception",
                            reason: e.description, countedAs: nil)
                    }
                    continue
                }
                counts[name, default: Counts()].stored += ids.count
                IngestMetrics.batchDuration(index: name, source: "http").recordNanoseconds(since: startedUptime)
                for ((k, _), id) in zip(group, ids) {
                    let op = actions[k].op
                    items[k] = .object([
                        (
                            op,
                            .object([
                                ("_index", .string(name)), ("_id", .string(String(id))), ("_version", .number(text: "1")),
                                ("result", .string(mode == .replace ? "updated" : "created")),
                                ("status", .number(text: mode == .replace ? "200" : "201")),
                            ])
                        )
                    ])
                }
            }
        }
        let took = Int(Date().timeIntervalSince(started) * 1000)
        return (.object([("took", .number(text: String(took))), ("errors", .bool(failed)), ("items", .array(items))]), counts)
    }
}
