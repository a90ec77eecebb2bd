import AlcoIndex

/// How SNIPPET() and CALL SNIPPETS read their query, as Sphinx does. By default
/// (`query_mode=0`) a query is its words after tokenizing, as MATCH would index them: operators
/// and every other separator only separate, so `'/10.251.214.67'` highlights `10.251.214.67`.
/// With `query_mode=1` it is a full-text query (a NOT'd word is not highlighted).
enum SnippetQuery {
    static func highlighter(_ query: String, queryMode: Bool) -> Highlighter {
        if queryMode { return Highlighter((try? QueryParser.parse(query)) ?? .all) }
        return Highlighter(.or(Tokenizer.tokens(query).map { .term($0, fields: .all, match: .exact) }))
    }

}
