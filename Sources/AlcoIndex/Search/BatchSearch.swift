extension Searcher {
    /// Searches lines held in memory (a batch that has just been published, not stored here)
    /// exactly as stored lines are searched: they become one in-memory segment, so the words,
    /// phrases, grep modes and filters match as they do everywhere else. Ids must be set;
    /// of lines sharing an id the last is kept, as a replace would.
    public static func search(_ request: SearchRequest, in documents: [Document], extraFields: [String] = []) throws -> SearchResult {
        var byID: [UInt64: Document] = [:]
        for d in documents { byID[d.id] = d }
        guard !byID.isEmpty else { return SearchResult() }
        let builder = SegmentBuilder(extraFields: extraFields)
        for id in byID.keys.sorted() { builder.add(byID[id]!) }
        let reader = try SegmentReader(name: "batch", storage: SegmentStorage(adopting: builder.finishImage()))
        return try search(request, segments: [SegmentSnapshot(reader: reader, deleted: DeletionSet(docCount: reader.docCount))])
    }
}
