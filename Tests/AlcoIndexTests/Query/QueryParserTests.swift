import Testing

@testable import AlcoIndex

@Suite struct QueryParserTests {
    func t(_ w: String, _ f: FieldLimit = .all, _ m: TermMatch = .exact) -> TextQuery { .term(w, fields: f, match: m) }

    @Test func wordsAreAnded() throws {
        #expect(try QueryParser.parse("Hello World") == .and([t("hello"), t("world")]))
    }

    @Test func orBindsTighterThanAnd() throws {
        #expect(try QueryParser.parse("a b | c") == .and([t("a"), .or([t("b"), t("c")])]))
    }

    @Test func phrasesProximityQuorum() throws {
        #expect(try QueryParser.parse("\"for block\"") == .phrase(["for", "block"], fields: .all, proximity: nil))
        #expect(try QueryParser.parse("\"for block\"~3") == .phrase(["for", "block"], fields: .all, proximity: 3))
        #expect(try QueryParser.parse("\"a b c\"/2") == .quorum(["a", "b", "c"], fields: .all, minimum: 2))
    }

    @Test func negationAndGroups() throws {
        #expect(try QueryParser.parse("error -debug") == .and([t("error"), .not(t("debug"))]))
        #expect(try QueryParser.parse("error !(a | b)") == .and([t("error"), .not(.or([t("a"), t("b")]))]))
    }

    @Test func fieldLimits() throws {
        #expect(try QueryParser.parse("@logline failed") == t("failed", .only(["logline"])))
        #expect(try QueryParser.parse("@(logline,js) x") == t("x", .only(["logline", "js"])))
        #expect(try QueryParser.parse("@!js x") == t("x", .except(["js"])))
        // ALCO's shape: field limits switch mid-query.
        #expect(
            try QueryParser.parse("@request_id (\"a\"|\"b\") @logline (\"x\")")
                == .and([.or([t("a", .only(["request_id"])), t("b", .only(["request_id"]))]), t("x", .only(["logline"]))]))
    }

    @Test func wildcards() throws {
        #expect(try QueryParser.parse("blk_38*") == t("blk_38", .all, .prefix))
        #expect(try QueryParser.parse("*6952*") == t("6952", .all, .infix))
        #expect(try QueryParser.parse("*ating") == t("ating", .all, .suffix))
    }

    @Test func alcoEscaping() throws {
        // ALCO escapes quotes, dashes and at-signs inside phrases.
        #expect(
            try QueryParser.parse(#"@logline ("it\'s a\-b user\@example.com")"#)
                == .phrase(["it", "s", "a-b", "user", "example.com"], fields: .only(["logline"]), proximity: nil))
    }

    @Test func separatorsSplitWords() throws {
        #expect(try QueryParser.parse("10.0.0.7:80") == .and([t("10.0.0.7"), t("80")]))
    }

    @Test(arguments: [("(a", 2), ("a)", 1), ("\"abc", 0), ("a | ", 4), ("@ x", 1), ("\"a b\"~x", 6)])
    func errorsHavePositions(_ text: String, _ position: Int) {
        do {
            _ = try QueryParser.parse(text)
            Issue.record("expected an error for \(text)")
        } catch let AlcoError.query(_, p) {
            #expect(p == position, "\(text)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// Found by the fuzzer: a `|` nothing takes looped forever without moving on.
    @Test(arguments: ["|timeout", "| a", "@!erro? | zwarn*)", "a (| b)", "||", "@js |"])
    func aBarWithNothingBeforeItIsAnError(_ text: String) {
        #expect(throws: AlcoError.self, "\(text)") { try QueryParser.parse(text) }
    }

    @Test func emptyQueryIsEverything() throws {
        #expect(try QueryParser.parse("  ") == .all)
    }
}
