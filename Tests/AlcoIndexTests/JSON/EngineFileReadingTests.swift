import Testing

@testable import AlcoIndex

/// columns.json and patterns.json are read by hand (`JSONFields`), as a restart reads them for
/// every index: what was written comes back, members in any order and spacing (files written
/// by JSONEncoder before), and a damaged or mistyped member is an error that names it.
@Suite struct EngineFileReadingTests {
    @Test func columnsReadBackWhatWasWritten() throws {
        var values: [String: ColumnValues] = [:]
        var host = ColumnValues()
        host.lastSeen = ["web01": 1_795_582_800, "wéb \"2\"\\\u{1}": -5, "": 0]
        host.dropped = 17
        values["host"] = host
        values["empty"] = ColumnValues()
        let columns = [
            Column(name: "host", filtered: true, excluded: false, indexed: true, firstSeen: 1, lastSeen: 2, applicationFlags: ["display": true, "context": false]),
            Column(name: "a.b \"c\"", filtered: false, excluded: true, indexed: false, firstSeen: -1, lastSeen: .max),
        ]
        let stored = ColumnRegistry.Stored(columns: columns, values: values)
        let read = try ColumnRegistry.Stored.decode(stored.encoded())
        #expect(read.columns == columns)
        #expect(read.values == values)
    }

    @Test func columnsInAnyOrderAndSpacing() throws {
        let text = """
            {
              "values" : { "host" : { "lastSeen" : { "b" : 2, "a" : 1 }, "dropped" : 0 } },
              "columns" : [ { "name" : "host", "last_seen" : 9, "indexed" : false, "first_seen" : 3,
                              "filtered" : true, "excluded" : false, "display" : true } ]
            }
            """
        let read = try ColumnRegistry.Stored.decode(Array(text.utf8))
        #expect(read.columns == [Column(name: "host", filtered: true, excluded: false, indexed: false, firstSeen: 3, lastSeen: 9, applicationFlags: ["display": true])])
        #expect(read.values["host"]?.lastSeen == ["a": 1, "b": 2])
    }

    @Test func mistypedColumnsAreErrorsThatNameTheMember() {
        let column = #"{"name":"h","filtered":true,"excluded":false,"indexed":false,"first_seen":1,"last_seen":2"#
        for (text, named) in [
            (#"{"columns":[\#(column.replacingOccurrences(of: "\"filtered\":true", with: "\"filtered\":\"yes\""))}],"values":{}}"#, "column 0.filtered"),
            (#"{"columns":[\#(column.replacingOccurrences(of: "\"name\":\"h\",", with: ""))}],"values":{}}"#, "column 0.name"),
            (#"{"columns":[\#(column),"display":1}],"values":{}}"#, "column 0.display"),
            (#"{"columns":[\#(column.replacingOccurrences(of: "\"first_seen\":1", with: "\"first_seen\":1.5"))}],"values":{}}"#, "column 0.first_seen"),
            (#"{"columns":[\#(column.replacingOccurrences(of: "\"last_seen\":2", with: "\"last_seen\":99999999999999999999"))}],"values":{}}"#, "column 0.last_seen"),
            (#"{"columns":[],"values":{"h":{"dropped":0,"lastSeen":{"x":"1"}}}}"#, "values of h.lastSeen"),
            (#"{"columns":[],"values":{"h":{"lastSeen":{}}}}"#, "values of h.dropped"),
            (#"{"columns":{},"values":{}}"#, "columns file.columns"),
            (#"[]"#, "columns file"),
        ] {
            #expect {
                _ = try ColumnRegistry.Stored.decode(Array(text.utf8))
            } throws: { error in
                "\(error)".contains(named)
            }
        }
        #expect(throws: JSONParseError.self) { _ = try ColumnRegistry.Stored.decode(Array(#"{"columns":[{"na"#.utf8)) }
    }

    @Test func patternsReadBackAndMistypedOnesAreNamed() throws {
        let file = PatternFile(
            lsn: 7,
            patterns: [
                .init(id: 0, template: "a <*> \"b\"", mergedInto: nil, firstSeen: 5),
                .init(id: 1, template: "", mergedInto: 0, firstSeen: -1),
            ])
        let read = try PatternFile.decode(file.encoded())
        #expect(read.lsn == 7)
        #expect(read.patterns.map(\.template) == ["a <*> \"b\"", ""])
        #expect(read.patterns.map(\.mergedInto) == [nil, 0])
        #expect(read.patterns.map(\.firstSeen) == [5, -1])
        // A null merge target is none (what JSONDecoder made of it).
        let null = try PatternFile.decode(Array(#"{"patterns":[{"id":0,"template":"x","merged_into":null,"first_seen":1}],"lsn":3}"#.utf8))
        #expect(null.patterns.first?.mergedInto == nil && null.lsn == 3)
        for (text, named) in [
            (#"{"lsn":1,"patterns":[{"id":"0","template":"x","first_seen":1}]}"#, "pattern 0.id"),
            (#"{"lsn":1,"patterns":[{"id":-1,"template":"x","first_seen":1}]}"#, "pattern 0.id"),
            (#"{"lsn":1,"patterns":[{"id":0,"first_seen":1}]}"#, "pattern 0.template"),
            (#"{"lsn":1,"patterns":[{"id":0,"template":"x","first_seen":1,"merged_into":true}]}"#, "pattern 0.merged_into"),
            (#"{"patterns":[]}"#, "patterns file.lsn"),
        ] {
            #expect {
                _ = try PatternFile.decode(Array(text.utf8))
            } throws: { error in
                "\(error)".contains(named)
            }
        }
    }

    /// A template's words are what was joined with spaces, whatever they hold: a word that
    /// begins with a combining mark too (a split by Character glued it to the space before).
    @Test func templateWordsAreWhatWasJoined() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [String] = ["a", "b", "é", "<*>", "\u{301}", "日", "\"", "\t", "\u{1F600}"]
        for _ in 0..<2_000 {
            let words = (0..<Int.random(in: 1..<8, using: &rng)).map { _ in
                (0..<Int.random(in: 0..<4, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }.joined()
            }
            let template = words.joined(separator: " ")
            #expect(PatternMiner.Pattern.words(ofTemplate: template) == (template.isEmpty ? [] : words), "\(template.debugDescription)")
        }
        #expect(PatternMiner.Pattern.words(ofTemplate: "a \u{301}b").count == 2)
    }
}
