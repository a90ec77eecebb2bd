import AlcoIndex
import SphinxQL

/// CALL SNIPPETS and CALL KEYWORDS.
extension Session {
    func call(_ name: String, _ args: [Expression], _ options: [SelectItem]) throws -> ResultSet {
        switch name {
        case "snippets":
            guard args.count >= 3, case .string(let table) = args[1], case .string(let q) = args[2] else {
                throw StatementError("CALL SNIPPETS requires 3 arguments (docs, index, query)")
            }
            _ = try index(table)
            var docs: [String] = []
            switch args[0] {
            case .string(let d): docs = [d]
            case .function("tuple", let items):
                docs = items.compactMap {
                    if case .string(let d) = $0 { return d }; return nil
                }
            default: throw StatementError("CALL SNIPPETS: documents must be strings")
            }
            var opts = SnippetOptions()
            var queryMode = false
            for o in options {
                let value: String
                switch o.expression {
                case .string(let s), .integer(let s): value = s
                default: continue
                }
                if SelectExecutor.apply(snippetOptions: "\(o.alias ?? "")=\(value)", to: &opts) { queryMode = true }
            }
            let h = SnippetQuery.highlighter(q, queryMode: queryMode)
            return ResultSet(
                columns: [ResultColumn(name: "snippet", kind: .string)],
                rows: docs.map { [.string(Snippet.make($0, highlighter: h, options: opts))] })
        case "keywords":
            guard args.count >= 2, case .string(let text) = args[0], case .string(let table) = args[1] else {
                throw StatementError("CALL KEYWORDS requires 2 arguments (text, index)")
            }
            let index = try self.index(table)
            var withStats = false
            if args.count >= 3, case .integer(let n) = args[2] { withStats = n != "0" }
            let words = Tokenizer.tokens(text)
            var columns = ["qpos", "tokenized", "normalized"].map { ResultColumn(name: $0, kind: .string) }
            if withStats { columns += ["docs", "hits"].map { ResultColumn(name: $0, kind: .string) } }
            var rows: [[Cell]] = []
            let snapshot = withStats ? try index.snapshot() : []
            for (k, w) in words.enumerated() {
                var row: [Cell] = [.string(String(k + 1)), .string(w), .string(w)]
                if withStats {
                    let stats = Searcher.keywordStats(.term(w, fields: .all, match: .exact), segments: snapshot).first
                    row += [.string(String(stats?.docs ?? 0)), .string(String(stats?.hits ?? 0))]
                }
                rows.append(row)
            }
            return ResultSet(columns: columns, rows: rows)
        default:
            throw StatementError("no such builtin procedure \(name)")
        }
    }
}
