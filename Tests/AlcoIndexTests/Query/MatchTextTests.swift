import Testing

@testable import AlcoIndex

/// `TextQuery.matchText()` is what a node sends a Sphinx front for a person's search; it must
/// parse back to the very query the person's text parsed to.
@Suite struct MatchTextTests {
    /// Random queries of every shape the parser produces, nested a few levels.
    struct Generator {
        var random: SeededRandom
        static let fields: [FieldLimit] = [.all, .all, .all, .only(["logline"]), .only(["logline", "js"]), .except(["js"])]

        mutating func word() -> String {
            let alphabet = Array("abcxyz019._-")
            while true {
                let n = Int.random(in: 1...6, using: &random)
                let w = String((0..<n).map { _ in alphabet.randomElement(using: &random)! })
                // Only what the tokenizer keeps as one word is a word of a parsed query.
                if Tokenizer.tokens(w) == [w] { return w }
            }
        }

        mutating func words(_ range: ClosedRange<Int>) -> [String] { (0..<Int.random(in: range, using: &random)).map { _ in word() } }

        mutating func query(depth: Int) -> TextQuery {
            let field = Generator.fields.randomElement(using: &random)!
            let leaf = depth == 0 || Int.random(in: 0..<3, using: &random) == 0
            if leaf {
                switch Int.random(in: 0..<4, using: &random) {
                case 0:
                    let ws = words(2...4)
                    return .phrase(ws, fields: field, proximity: Bool.random(using: &random) ? Int.random(in: 1...9, using: &random) : nil)
                case 1:
                    let ws = words(2...4)
                    return .quorum(ws, fields: field, minimum: Int.random(in: 1...ws.count, using: &random))
                default:
                    let matches: [TermMatch] = [.exact, .prefix, .suffix, .infix]
                    return .term(word(), fields: field, match: matches.randomElement(using: &random)!)
                }
            }
            switch Int.random(in: 0..<3, using: &random) {
            case 0: return .and((0..<Int.random(in: 2...4, using: &random)).map { _ in query(depth: depth - 1) })
            case 1: return .or((0..<Int.random(in: 2...3, using: &random)).map { _ in query(depth: depth - 1) })
            default:
                var inner = query(depth: depth - 1)
                // `--x` reads as one word; the parser never makes not(not(x)).
                while case .not = inner { inner = query(depth: depth - 1) }
                return .not(inner)
            }
        }
    }

    @Test(arguments: 1...6) func everyParsedShapeRoundTrips(seed: UInt64) throws {
        var g = Generator(random: SeededRandom(seed: seed))
        for _ in 0..<400 {
            let q = g.query(depth: 4)
            let text = try q.matchText()
            #expect(try QueryParser.parse(text) == q, "\(text)")
        }
    }

    @Test func personsQueriesRoundTrip() throws {
        for text in [
            "connection reset", "\"reset by peer\"~2 -debug", "@logline (error | fail*) !*timeout*",
            "\"a b c\"/2 @!js x", "10.0.0.1 -\\-verbose", "user_id 42", "",
        ] {
            let q = try QueryParser.parse(text)
            let sent = try q.matchText()
            #expect(try QueryParser.parse(sent) == q, "\(text) -> \(sent)")
        }
    }

    @Test func grepModesTravelAsTheAtAtForm() throws {
        for q in [
            TextQuery.substring("Connection reset by (peer)", caseSensitive: false), .substring("@@x  y ", caseSensitive: true),
            .regex("^ERROR [0-9]+ \\w", caseSensitive: true), .regex("a|b", caseSensitive: false),
        ] {
            #expect(try QueryParser.parse(try q.matchText()) == q)
        }
        #expect(try QueryParser.parse("@@substring:cs a b") == .substring("a b", caseSensitive: true))
        #expect(throws: AlcoError.self) { try QueryParser.parse("@@grep x") }
        #expect(throws: AlcoError.self) { try QueryParser.parse("@@regex:ci x") }
        #expect(throws: AlcoError.self) { try QueryParser.parse("@@regex ") }
        #expect(throws: AlcoError.self) { try QueryParser.parse("@@regex (") }
        #expect(throws: AlcoError.self) { try TextQuery.and([.substring("a", caseSensitive: false), .all]).matchText() }
    }
}
