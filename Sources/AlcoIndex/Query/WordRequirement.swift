/// Which of a full-text query's exact words a segment must have for the query to match there,
/// hashed once per search: a segment whose `WordFilter` lacks them is skipped before any
/// dictionary look-up. Words matched otherwise (prefixes, substrings, regexes) and negations
/// require nothing.
indirect enum WordRequirement: Equatable {
    case none
    /// Every one of these words, longest first: a long word is the likelier to be rare, so the
    /// first probe usually decides.
    case words([Word])
    case all([WordRequirement])
    case any([WordRequirement])
    case atLeast(Int, [WordRequirement])

    struct Word: Equatable {
        let hash: UInt64
        let length: Int

        init(_ w: String) {
            hash = WordFilter.hash(Array(w.utf8))
            length = w.utf8.count
        }
    }

    /// Deeper queries (the parser stops far above this) require nothing past it: the walk
    /// stays bounded whoever built the query.
    static let maxDepth = 64

    init(_ q: TextQuery, depth: Int = 0) {
        guard depth < WordRequirement.maxDepth else {
            self = .none
            return
        }
        switch q {
        case .term(let w, _, .exact):
            self = .words([Word(w)])
        case .phrase(let words, _, _):
            self = WordRequirement.allOf(words.map { .words([Word($0)]) })
        case .quorum(let words, _, let minimum):
            self = minimum <= 0 ? .none : .atLeast(minimum, words.map { .words([Word($0)]) })
        case .and(let parts):
            // Only the positive parts: `a -b` needs a, whatever b.
            self = WordRequirement.allOf(
                parts.compactMap {
                    if case .not = $0 { return nil }
                    return WordRequirement($0, depth: depth + 1)
                })
        case .or(let parts):
            let each = parts.map { WordRequirement($0, depth: depth + 1) }
            self = each.isEmpty || each.contains(.none) ? .none : .any(each)
        case .term, .not, .substring, .regex, .all:
            self = .none
        }
    }

    /// The parts' words as one list; what is left (alternatives, quorums) checked after them.
    private static func allOf(_ parts: [WordRequirement]) -> WordRequirement {
        var words: [Word] = []
        var rest: [WordRequirement] = []
        for p in parts {
            switch p {
            case .none: continue
            case .words(let ws): words += ws
            default: rest.append(p)
            }
        }
        words.sort { $0.length > $1.length }
        if !words.isEmpty { rest.insert(.words(words), at: 0) }
        return rest.isEmpty ? .none : rest.count == 1 ? rest[0] : .all(rest)
    }

    /// The segments of `all` that may match, in order, when the required words are rare: the
    /// others surely lack one. When the newest `commonAfter` segments all have them the words
    /// are common and `all` is returned as it is: probing every filter (a cache miss each)
    /// would cost a newest-first search more than the few segments it reads.
    func segments(_ all: [SegmentSnapshot]) -> [SegmentSnapshot] {
        guard case .words(let words) = self else { return all }
        let probes = words.map { WordFilter.Probe(hash: $0.hash) }
        var kept: [SegmentSnapshot] = []
        var common = true
        // From the newest end (a snapshot lists days and their segments oldest first): the
        // segments a newest-first search reads anyway, so deciding "common" costs no extra
        // cache misses there.
        probes.withUnsafeBufferPointer { probes in
            all.withUnsafeBufferPointer { all in
                for k in all.indices.reversed() {
                    // From the snapshot's copy of the filter when its block was verified before.
                    let known = all[k].wordFilter.map { $0.mayHaveAll(probes) } ?? true
                    if known ?? all[k].reader.mayHaveWords(probes) {
                        kept.append(all[k])
                    } else {
                        common = false
                    }
                    if common && kept.count == WordRequirement.commonAfter { return }
                }
            }
        }
        return common ? all : kept.reversed()
    }

    /// Segments in a row with the words after which they count as common.
    static let commonAfter = 8

    /// False only when `segment` cannot match: a required word is surely absent from it.
    func mayMatch(_ segment: SegmentReader) -> Bool {
        switch self {
        case .none: return true
        case .words(let words):
            for w in words where !segment.mayHaveWord(hash: w.hash) { return false }
            return true
        case .all(let parts): return parts.allSatisfy { $0.mayMatch(segment) }
        case .any(let parts): return parts.contains { $0.mayMatch(segment) }
        case .atLeast(let minimum, let parts):
            var present = 0
            for p in parts where p.mayMatch(segment) {
                present += 1
                if present >= minimum { return true }
            }
            return false
        }
    }
}
