import Foundation
import Testing

@testable import AlcoIndex

/// The engine's side of the hostile-input classes: queries nested or sized to overflow a
/// stack, numbers that would trap, regular expressions that backtrack, ranges that cross,
/// and time limits. Members are generated over depths and magnitudes.
@Suite struct HostileInputTests {
    /// Runs `body` on a thread with a 2 MiB stack (a quarter of a server thread's) and waits.
    static func onSmallStack(_ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            body()
            done.signal()
        }
        thread.stackSize = 2 << 20
        thread.start()
        done.wait()
    }

    final class Box<T>: @unchecked Sendable {
        var value: T?
    }

    static func loadedIndex(_ dir: TemporaryDirectory, lines: Int = 500) throws -> (Catalog, LogIndex) {
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        let index = try catalog.createIndex(IndexSettings(name: "logs"))
        _ = try index.append(
            (0..<lines).map { k in
                doc("alpha beta line \(k) gamma\(k % 7) blk_\(k)", at: day1 + Int64(k), [("host", .string("web\(k % 3)"))])
            })
        return (catalog, index)
    }

    @Test func matchQueriesNestedToAnyDepth() throws {
        let dir = TemporaryDirectory()
        let (catalog, index) = try Self.loadedIndex(dir)
        defer { try? catalog.close() }
        for depth in [1, 100, QueryParser.maxDepth - 1, QueryParser.maxDepth, QueryParser.maxDepth + 1, 30_000] {
            for text in [
                String(repeating: "(", count: depth) + "alpha" + String(repeating: ")", count: depth),
                String(repeating: "-", count: depth) + "alpha",
                "beta " + String(repeating: "!(", count: depth) + "alpha" + String(repeating: ")", count: depth),
                String(repeating: "(alpha | ", count: depth) + "beta" + String(repeating: ")", count: depth),
            ] {
                let outcome = Box<Result<Int, any Error>>()
                Self.onSmallStack {
                    outcome.value = Result {
                        let q = try QueryParser.parse(text)
                        var r = SearchRequest(text: q, limit: 3, countTotal: true)
                        r.snippet = SnippetOptions()
                        _ = Highlighter(q).ranges(in: "alpha beta")
                        return try index.search(r).totalFound
                    }
                }
                switch outcome.value {
                case .success?:
                    #expect(depth <= QueryParser.maxDepth, "depth \(depth) was accepted")
                case .failure(let e)?:
                    #expect(depth > QueryParser.maxDepth / 2, "depth \(depth) refused: \(e)")
                    #expect("\(e)".contains("memory exhausted"), "\(e)")
                case nil:
                    Issue.record("no outcome")
                }
            }
        }
    }

    @Test func idBoundsNeverCross() {
        let edges: [UInt64] = [0, 1, 2, 999, 1000, UInt64.max / 2, UInt64.max - 1, UInt64.max]
        for a in edges {
            for b in edges {
                var bounds = IDBounds()
                bounds.after(a)
                bounds.before(b)
                for probe in edges {
                    #expect(bounds.contains(probe) == (probe > a && probe < b), "after \(a) before \(b): \(probe)")
                }
                let range = IDBounds(a, b)
                #expect(range.isEmpty == (a > b))
            }
        }
        var r = SearchRequest()
        r.restrictTime(fromMicroseconds: Int64.max, toMicroseconds: Int64.min)
        #expect(r.isEmptyRange)
        r = SearchRequest()
        r.restrictTime(fromMicroseconds: Int64.min, toMicroseconds: Int64.max)
        #expect(!r.isEmptyRange)
    }

    @Test func limitsOfEveryMagnitude() throws {
        let dir = TemporaryDirectory()
        let (catalog, index) = try Self.loadedIndex(dir)
        defer { try? catalog.close() }
        let values = [Int.min, -1, 0, 1, 999, 1000, 1001, SearchRequest.maxMatchesLimit, SearchRequest.maxMatchesLimit + 1, Int.max - 1, Int.max]
        for offset in values {
            for limit in values {
                for maxMatches in values {
                    var r = SearchRequest(limit: 0)
                    r.offset = offset
                    r.limit = limit
                    r.maxMatches = maxMatches
                    do {
                        let result = try index.search(r)
                        #expect(result.hits.count <= max(0, min(limit, maxMatches)))
                    } catch let e as AlcoError {
                        #expect(!e.description.isEmpty)
                    }
                }
            }
        }
    }

    @Test func timesOutsideWhatIdsHold() throws {
        #expect(DocumentID.canHold(microseconds: 0))
        #expect(!DocumentID.canHold(microseconds: -1))
        #expect(DocumentID.canHold(microseconds: DocumentID.maxMicroseconds))
        #expect(!DocumentID.canHold(microseconds: DocumentID.maxMicroseconds + 1))
        #expect(DocumentID.make(microseconds: DocumentID.maxMicroseconds, sequence: 999) > DocumentID.make(microseconds: DocumentID.maxMicroseconds))
        // Saturating, never wrapping to another time.
        #expect(DocumentID.make(microseconds: Int64.max) == DocumentID.make(microseconds: DocumentID.maxMicroseconds))
        let dir = TemporaryDirectory()
        let (catalog, index) = try Self.loadedIndex(dir, lines: 1)
        defer { try? catalog.close() }
        for us in [Int64.min, -1, DocumentID.maxMicroseconds + 1, Int64.max] {
            #expect(throws: AlcoError.self) { try index.append([doc("too late", at: us)]) }
        }
        let ids = try index.append([doc("last moment", at: DocumentID.maxMicroseconds)])
        #expect(DocumentID.microseconds(of: ids[0]) == DocumentID.maxMicroseconds)
    }

    /// Thousands of lines with one timestamp get ids in O(1) probes each, before and after an
    /// INSERT of the largest id.
    @Test func idsForOneTimestampCostConstantProbes() {
        for farFuture in [false, true] {
            var generator = IDGenerator()
            var taken = Set<UInt64>()
            if farFuture {
                generator.observe(.max)
                taken.insert(.max)
            }
            var probes = 0
            let n = 50_000
            for _ in 0..<n {
                guard
                    let id = generator.next(
                        microseconds: day1, hint: nil,
                        exists: {
                            probes += 1; return taken.contains($0)
                        })
                else {
                    Issue.record("no id")
                    return
                }
                #expect(taken.insert(id).inserted)
            }
            // Lines at a later microsecond that the first ones spilled into.
            for _ in 0..<n {
                guard
                    let id = generator.next(
                        microseconds: day1 + 1, hint: nil,
                        exists: {
                            probes += 1; return taken.contains($0)
                        })
                else { return }
                #expect(taken.insert(id).inserted)
            }
            #expect(probes <= 4 * n, "\(probes) probes for \(2 * n) ids (far-future id: \(farFuture))")
        }
    }

    @Test func regularExpressionsRunInLinearTime() throws {
        let long = String(repeating: "a", count: 200_000)
        for pattern in ["(a*)*b", "(a|aa)+$b", "(a+)+b", "(x+x+)+y", "((a*)*)*c", "(a|a|a|a|a)*b", "^(a?){50}a{50}$"] {
            let started = Date()
            let m = try RegexMatcher(pattern, caseSensitive: true)
            _ = m.matches(long)
            _ = m.occurrences(in: String(long.prefix(5000)))
            #expect(Date().timeIntervalSince(started) < 1, "\(pattern)")
        }
        // Backreferences (what crashed glibc) are a clear error, not a crash.
        for pattern in ["(|)(\\1\\1)*", "(a)\\1", "(.)\\2"] {
            #expect(throws: AlcoError.self, "\(pattern)") { try RegexMatcher(pattern, caseSensitive: true) }
        }
        // Too long, and too big once compiled: an error within a second.
        let started = Date()
        #expect(throws: AlcoError.self) { try RegexMatcher(String(repeating: "a", count: RegexMatcher.maxPatternBytes + 1), caseSensitive: true) }
        #expect(throws: AlcoError.self) { try RegexMatcher("((((a{100}){100}){100}){100})", caseSensitive: true) }
        #expect(Date().timeIntervalSince(started) < 1)
        // grep -E's leftmost-longest matches and GNU classes.
        let m = try RegexMatcher("a|ab", caseSensitive: true)
        #expect(m.occurrences(in: "xab") == [1..<3])
        #expect(try RegexMatcher("\\bblk_[0-9]+\\b", caseSensitive: true).matches("x blk_42 y"))
        #expect(try RegexMatcher("^ERROR", caseSensitive: false).matches("error here"))
    }

    @Test func timeLimitsStopWithWhatWasFound() throws {
        let dir = TemporaryDirectory()
        let catalog = try Catalog(directory: dir.path, options: testOptions())
        defer { try? catalog.close() }
        let index = try catalog.createIndex(IndexSettings(name: "logs"))
        for batch in 0..<4 {
            _ = try index.append((0..<20_000).map { k in doc("line \(k) words \(k % 997) of batch \(batch)", at: day1 + Int64(batch * 20_000 + k)) })
            try index.flush()
        }
        var r = SearchRequest(text: .regex("w[a-z]+s 99[0-9] of", caseSensitive: true), limit: 10, countTotal: true)
        r.timeLimitMilliseconds = 1
        let started = Date()
        let result = try index.search(r)
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(result.timedOut)
        r.timeLimitMilliseconds = nil
        let whole = try index.search(r)
        #expect(!whole.timedOut)
        #expect(whole.totalFound >= result.totalFound)
    }
}
