/// Turns the query form into a `DocSet` tree for one segment: dictionary look-ups, posting
/// lists, attribute value postings and scans, and stored-line verification for grep modes.
struct SegmentPlanner {
    let segment: SegmentReader
    let cache: DocStoreCache
    /// Checked per stored line a grep mode verifies: the one step whose cost grows with the
    /// lines, not the dictionary.
    var deadline: Deadline = .none
    /// Expansions per wildcard term in a segment, so `a*` cannot take unbounded memory.
    static let maxExpansions = 100_000

    func plan(_ request: SearchRequest) throws -> any DocSet {
        let text = try plan(request.text)
        let filter = try plan(request.filter)
        // What `and` would make of the two when one is every doc (no array, no casts).
        if filter.isEverything { return text }
        return and([text, filter])
    }

    func and(_ sets: [any DocSet]) -> any DocSet {
        if sets.contains(where: { $0.isNothing }) { return NothingSet.shared }
        // Ordinal ranges (id conditions) become bounds on the rest, not lists to intersect.
        var bounds: Range<UInt32>?
        var rest: [any DocSet] = []
        func narrow(_ b: Range<UInt32>) {
            let current = bounds ?? b
            let lo = max(current.lowerBound, b.lowerBound)
            bounds = lo..<max(lo, min(current.upperBound, b.upperBound))
        }
        for set in sets where !set.isEverything {
            if let r = set as? OrdinalRange {
                narrow(r.bounds)
            } else if let b = set as? BoundedSet {
                narrow(b.bounds)
                if !b.inner.isEverything { rest.append(b.inner) }
            } else {
                rest.append(set)
            }
        }
        if let bounds, bounds.isEmpty { return NothingSet.shared }
        let inner: any DocSet = rest.isEmpty ? EverythingSet.shared : rest.count == 1 ? rest[0] : AndSet(rest)
        guard let bounds else { return inner }
        return rest.isEmpty ? OrdinalRange(bounds) : BoundedSet(inner, bounds: bounds)
    }

    func or(_ sets: [any DocSet]) -> any DocSet {
        if sets.contains(where: { $0.isEverything }) { return EverythingSet.shared }
        let real = sets.filter { !$0.isNothing }
        if real.isEmpty { return NothingSet.shared }
        return real.count == 1 ? real[0] : OrSet(real)
    }

    func fields(_ limit: FieldLimit) -> [UInt8] {
        if limit == .all { return segment.allFieldIDs }
        return segment.fieldNames.enumerated().filter { limit.allows($0.element) }.map { UInt8($0.offset) }
    }

    // MARK: full text

    func plan(_ q: TextQuery) throws -> any DocSet {
        switch q {
        case .all:
            return EverythingSet.shared
        case .term(let word, let limit, let match):
            return try termSet(word, fields: fields(limit), match: match)
        case .phrase(let words, let limit, let proximity):
            var perField: [any DocSet] = []
            for f in fields(limit) {
                var lists: [PostingList] = []
                for w in words {
                    guard let info = segment.lookup([f] + Array(w.utf8)) else { break }
                    lists.append(try segment.postingList(info))
                }
                if lists.count == words.count { perField.append(PhraseSet(lists, proximity: proximity)) }
            }
            return or(perField)
        case .quorum(let words, let limit, let minimum):
            let sets = try words.map { try termSet($0, fields: fields(limit), match: .exact) }
            return QuorumSet(sets, minimum: minimum)
        case .and(let parts):
            var positives: [any DocSet] = []
            var negatives: [any DocSet] = []
            for p in parts {
                if case .not(let inner) = p { negatives.append(try plan(inner)) } else { positives.append(try plan(p)) }
            }
            let pos = and(positives)
            let neg = or(negatives)
            if neg.isNothing { return pos }
            if pos.isNothing { return pos }
            return AndNotSet(pos, neg)
        case .or(let parts):
            return or(try parts.map { try plan($0) })
        case .not(let inner):
            let neg = try plan(inner)
            return neg.isNothing ? EverythingSet.shared : AndNotSet(EverythingSet.shared, neg)
        case .substring(let needle, let caseSensitive):
            let matcher = SubstringMatcher(needle, caseSensitive: caseSensitive)
            // A needle of word characters is in a folded line exactly when one of its words holds it.
            if let words = try wordMatches(needle, where: { _ in true }) {
                return caseSensitive
                    ? verifying(or([words.exact, words.cut]), matcher.matches)
                    : or([words.exact, verifying(words.cut, matcher.matches)])
            }
            return verifying(try substringCandidates(needle), matcher.matches)
        case .regex(let pattern, let caseSensitive):
            let matcher = try RegexMatcher(pattern, caseSensitive: caseSensitive)
            // A regex whose matches are words matches a line exactly when it matches one of its words.
            if RegexLiterals.matchesWithinOneWord(pattern), let literal = matcher.requiredLiteral {
                let folded = try RegexMatcher(pattern, caseSensitive: false)
                if let words = try wordMatches(literal, where: { folded.matches(String(decoding: $0, as: UTF8.self)) }) {
                    return caseSensitive
                        ? verifying(or([words.exact, words.cut]), matcher.matches)
                        : or([words.exact, verifying(words.cut, matcher.matches)])
                }
            }
            let candidates: any DocSet = try matcher.requiredLiteral.map { try substringCandidates($0) } ?? EverythingSet.shared
            return verifying(candidates, matcher.matches)
        }
    }

    /// The docs of `candidates` whose stored line passes `test`.
    func verifying(_ candidates: any DocSet, _ test: @escaping (String) -> Bool) -> any DocSet {
        if candidates.isNothing { return candidates }
        let seg = segment
        let cache = cache
        let deadline = deadline
        return ScanSet(over: candidates) { d in
            try deadline.check()
            return test(try seg.logline(d, cache: cache))
        }
    }

    /// A word in any of `fields`, matched exactly or as a prefix, suffix or infix of terms.
    func termSet(_ word: String, fields: [UInt8], match: TermMatch) throws -> any DocSet {
        let w = Array(word.utf8)
        // A word over every field: the segment may know its docs without reading the dictionary.
        if match == .exact, fields.count == segment.fieldNames.count, let stored = segment.docFreqInAnyField(w) {
            return StoredCountUnion(wholeSegmentCount: stored) {
                try termSet(w, fields: fields, match: match, storedCount: stored)
            }
        }
        return try termSet(w, fields: fields, match: match, storedCount: nil)
    }

    private func termSet(_ w: [UInt8], fields: [UInt8], match: TermMatch, storedCount: Int?) throws -> any DocSet {
        var lists: [PostingList] = []
        // One key for every field: the field byte, then the word.
        var key = [UInt8](repeating: 0, count: 1)
        if match == .exact { key.append(contentsOf: w) }
        for f in fields {
            switch match {
            case .exact:
                key[0] = f
                if let info = segment.lookup(key) { lists.append(try segment.postingList(info)) }
            case .prefix:
                var infos: [TermInfo] = []
                segment.terms(field: f, prefix: w, limit: SegmentPlanner.maxExpansions) { _, info in infos.append(info) }
                for info in infos { lists.append(try segment.postingList(info)) }
            case .suffix, .infix:
                var infos: [TermInfo] = []
                segment.terms(field: f, containing: w, suffixOnly: match == .suffix, limit: SegmentPlanner.maxExpansions) {
                    _, info in infos.append(info)
                }
                for info in infos { lists.append(try segment.postingList(info)) }
            }
        }
        if lists.isEmpty { return NothingSet.shared }
        return PostingsUnion(lists, wholeSegmentCount: lists.count > 1 ? storedCount : nil)
    }

    /// For `literal` made of one word's characters: the lines with a logline word containing it
    /// (folded) that also passes `accept` (`exact`), and the lines with words cut at the token
    /// limit, where a match may straddle the cut (`cut`, for the caller to verify). Nil when
    /// `literal` is not one word or its words are too many to list.
    func wordMatches(_ literal: String, where accept: (UnsafeRawBufferPointer) -> Bool) throws
        -> (exact: any DocSet, cut: any DocSet)?
    {
        let pieces = Tokenizer.tokenRanges(literal)
        guard pieces.count == 1, pieces[0].range == 0..<literal.utf8.count,
            pieces[0].term.utf8.count < Tokenizer.maxTokenBytes
        else { return nil }
        var exact: [TermInfo] = []
        var cut: [TermInfo] = []
        var seen = 0
        segment.terms(
            field: SegmentFormat.Field.logline, containing: Array(pieces[0].term.utf8), includingCutWords: true,
            limit: SegmentPlanner.maxExpansions
        ) { term, info in
            seen += 1
            if term.count >= Tokenizer.maxTokenBytes {
                cut.append(info)
            } else if accept(term) {
                exact.append(info)
            }
        }
        if seen >= SegmentPlanner.maxExpansions { return nil }
        func union(_ infos: [TermInfo]) throws -> any DocSet {
            infos.isEmpty ? NothingSet.shared : PostingsUnion(try infos.map { try segment.postingList($0) })
        }
        return (try union(exact), try union(cut))
    }

    /// Lines that may contain `needle`, from the logline dictionary: whole words inside the
    /// needle must be terms; the first and last words may be cut (suffix / prefix of a term),
    /// and a needle inside one word is an infix look-up.
    func substringCandidates(_ needle: String) throws -> any DocSet {
        let pieces = Tokenizer.tokenRanges(needle)
        let needleBytes = needle.utf8.count
        guard !pieces.isEmpty else { return EverythingSet.shared }
        var exact: [any DocSet] = []
        var open: [(String, TermMatch)] = []
        for (k, piece) in pieces.enumerated() {
            let leftOpen = k == 0 && piece.range.lowerBound == 0
            let rightOpen = k == pieces.count - 1 && piece.range.upperBound == needleBytes
            switch (leftOpen, rightOpen) {
            case (false, false): exact.append(try termSet(piece.term, fields: [SegmentFormat.Field.logline], match: .exact))
            case (false, true): open.append((piece.term, .prefix))
            case (true, false): open.append((piece.term, .suffix))
            case (true, true): open.append((piece.term, .infix))
            }
        }
        if !exact.isEmpty {
            // Prefix look-ups are cheap; suffix and infix scans are skipped when whole words narrow enough.
            for (t, m) in open where m == .prefix {
                exact.append(try candidateSet(t, match: .prefix))
            }
            return and(exact)
        }
        return and(try open.map { try candidateSet($0.0, match: $0.1) })
    }

    /// `termSet` for candidates: a piece with more expansions than listed constrains nothing.
    func candidateSet(_ word: String, match: TermMatch) throws -> any DocSet {
        let set = try termSet(word, fields: [SegmentFormat.Field.logline], match: match)
        if let union = set as? PostingsUnion, union.lists.count >= SegmentPlanner.maxExpansions { return EverythingSet.shared }
        return set
    }

    // MARK: attribute filters

    func plan(_ f: Filter) throws -> any DocSet {
        switch f {
        case .always(let b):
            return b ? EverythingSet.shared : NothingSet.shared
        case .and(let parts):
            var positives: [any DocSet] = []
            var negatives: [any DocSet] = []
            for p in parts {
                if case .not(let inner) = p { negatives.append(try plan(inner)) } else { positives.append(try plan(p)) }
            }
            let pos = and(positives)
            let neg = or(negatives)
            return neg.isNothing || pos.isNothing ? pos : AndNotSet(pos, neg)
        case .or(let parts):
            return or(try parts.map { try plan($0) })
        case .not(let inner):
            let neg = try plan(inner)
            if neg.isNothing { return EverythingSet.shared }
            if neg.isEverything { return NothingSet.shared }
            return AndNotSet(EverythingSet.shared, neg)
        case .idIn(let ids):
            return OrdinalList(ids.compactMap { segment.ordinal(of: $0) })
        case .idCompare(let op, let id):
            let n = UInt32(segment.docCount)
            switch op {
            case .equal: return OrdinalList(segment.ordinal(of: id).map { [$0] } ?? [])
            case .notEqual:
                guard let o = segment.ordinal(of: id) else { return EverythingSet.shared }
                return AndNotSet(EverythingSet.shared, OrdinalList([o]))
            case .less: return OrdinalRange(0..<segment.lowerBound(id: id))
            case .lessOrEqual: return OrdinalRange(0..<(id == .max ? n : segment.lowerBound(id: id + 1)))
            case .greater: return OrdinalRange((id == .max ? n : segment.lowerBound(id: id + 1))..<n)
            case .greaterOrEqual: return OrdinalRange(segment.lowerBound(id: id)..<n)
            }
        case .oneOf(let key, let values):
            guard let attr = segment.attribute(key) else { return NothingSet.shared }
            var sets: [any DocSet] = []
            var numbers: [Double] = []
            for v in values {
                switch v {
                case .string(let s):
                    if let list = try segment.postingList(of: attr, value: s) {
                        sets.append(PostingsUnion([list]))
                    }
                    // Numbers are not in the string dictionary: '9002' also means 9002.
                    if let d = Double(s), attr.hasNumbers { numbers.append(d) }
                case .number(let d): numbers.append(d)
                }
            }
            if !numbers.isEmpty && attr.hasNumbers {
                let wanted = Set(numbers)
                sets.append(ScanSet(over: EverythingSet.shared) { d in attr.number(d).map { wanted.contains($0) } ?? false })
            }
            return or(sets)
        case .compare(let key, let op, let value):
            guard let attr = segment.attribute(key), attr.hasNumbers else { return NothingSet.shared }
            return ScanSet(over: EverythingSet.shared) { d in attr.number(d).map { op.holds($0, value) } ?? false }
        case .between(let key, let lo, let hi):
            guard let attr = segment.attribute(key), attr.hasNumbers else { return NothingSet.shared }
            return ScanSet(over: EverythingSet.shared) { d in attr.number(d).map { $0 >= lo && $0 <= hi } ?? false }
        case .exists(let key):
            guard let attr = segment.attribute(key) else { return NothingSet.shared }
            return ScanSet(over: EverythingSet.shared) { d in attr.forward(d) != 0 || attr.number(d) != nil }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
