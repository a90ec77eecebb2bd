import AlcoIndex
import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import SphinxAPI
import SphinxQL
import SphinxQLExecution

/// Serves SphinxAPI requests from the catalog. Requests run off the event loops, on a queue
/// of the listener's with as many lanes as cores: an agent's answer is up to max_matches
/// documents, milliseconds of work, and a master waits on all its agents at once.
final class AgentExecutor: SphinxAPIExecutor {
    let catalog: Catalog
    let queryTimeoutMilliseconds: Int?
    private let lanes: DispatchSemaphore
    private let queue = DispatchQueue(label: "alco.sphinxapi", attributes: .concurrent)
    private let lastMeta = NIOLockedValueBox<[(String, String)]>([])
    private let started = ContinuousClock.now
    /// Requests served, by command, as searchd's `command_*` counters.
    private let counts = NIOLockedValueBox<[String: Int]>([:])

    init(catalog: Catalog, queryTimeoutMilliseconds: Int?, lanes: Int) {
        self.catalog = catalog
        self.queryTimeoutMilliseconds = queryTimeoutMilliseconds
        self.lanes = DispatchSemaphore(value: max(1, lanes))
    }

    func execute(_ request: APIRequest, completion: @escaping @Sendable (ByteBuffer) -> Void) {
        queue.async { [self] in
            lanes.wait()
            defer { lanes.signal() }
            completion(reply(to: request))
        }
    }

    func reply(to request: APIRequest) -> ByteBuffer {
        let name: String
        switch request {
        case .search: name = "search"
        case .excerpt: name = "excerpt"
        case .keywords: name = "keywords"
        case .status: name = "status"
        }
        counts.withLockedValue { $0[name, default: 0] += 1 }
        switch request {
        case .search(let search):
            let agent = AgentSearch(
                catalog: catalog, timeLimits: TimeLimits(server: queryTimeoutMilliseconds), toMaster: search.isFromMaster)
            var meta: QueryMeta?
            let results = search.queries.map { agent.run($0, meta: &meta) }
            // A non-global STATUS reports the last query's meta, as SHOW META would.
            lastMeta.withLockedValue { $0 = meta?.rows.map { ($0.name, $0.value) } ?? [] }
            return APISearchResult.reply(results, masterVersion: search.masterVersion)
        case .excerpt(let excerpt):
            return reply(to: excerpt)
        case .keywords(let keywords):
            return reply(to: keywords)
        case .status(let global):
            if global {
                guard case .rows(let rows)? = try? Session(catalog: catalog).execute(.show(.status, like: nil)) else {
                    return APIWriter.errorReply("performance counters unavailable")
                }
                let uptime = ContinuousClock.now - started
                var out: [(String, String)] = [("uptime", String(uptime.components.seconds))]
                let served = counts.withLockedValue { $0 }
                for command in ["search", "excerpt", "keywords", "status"] {
                    out.append(("command_\(command)", String(served[command] ?? 0)))
                }
                out += rows.rows.map { ($0.first?.text ?? "", $0.dropFirst().first?.text ?? "") }
                return APIStatusReply.reply(out)
            }
            return APIStatusReply.reply(lastMeta.withLockedValue { $0 })
        }
    }

    private func reply(to excerpt: APIExcerptRequest) -> ByteBuffer {
        func option(_ name: String, _ value: String) -> SelectItem { SelectItem(expression: .string(value), alias: name) }
        var options = [
            option("before_match", excerpt.beforeMatch), option("after_match", excerpt.afterMatch),
            option("chunk_separator", excerpt.chunkSeparator), option("limit", String(excerpt.limit)),
            option("around", String(excerpt.around)),
        ]
        if excerpt.flags & APIExcerptRequest.flagQuery != 0 { options.append(option("query_mode", "1")) }
        let call = Statement.call(
            name: "snippets",
            arguments: [.function("tuple", excerpt.documents.map(Expression.string)), .string(excerpt.index), .string(excerpt.words)],
            options: options)
        do {
            guard case .rows(let rows) = try Session(catalog: catalog).execute(call) else {
                return APIWriter.errorReply("highlighting failed")
            }
            return APIExcerptRequest.reply(rows.rows.map { $0.first?.text ?? "" })
        } catch {
            return APIWriter.errorReply((error as? StatementError)?.message ?? String(describing: error))
        }
    }

    private func reply(to keywords: APIKeywordsRequest) -> ByteBuffer {
        let call = Statement.call(
            name: "keywords",
            arguments: [.string(keywords.query), .string(keywords.index), .integer(keywords.wantsStatistics ? "1" : "0")],
            options: [])
        do {
            guard case .rows(let rows) = try Session(catalog: catalog).execute(call) else {
                return APIWriter.errorReply("error generating keywords")
            }
            let list = rows.rows.map { row in
                APIKeywordsRequest.Keyword(
                    tokenized: row[1].text ?? "", normalized: row[2].text ?? "",
                    documents: row.count > 3 ? Int(row[3].text ?? "") ?? 0 : 0, hits: row.count > 4 ? Int(row[4].text ?? "") ?? 0 : 0)
            }
            return keywords.reply(list)
        } catch {
            let message = (error as? StatementError)?.message ?? String(describing: error)
            return APIWriter.errorReply(message)
        }
    }
}
