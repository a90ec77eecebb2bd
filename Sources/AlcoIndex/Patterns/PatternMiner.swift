/// Groups log messages into templates online ("patterns": `PacketResponder <*> for block <*>
/// terminating`), one line at a time, with no per-system tuning.
///
/// A message's masked words (`TemplateTokens`) are its shape; each new shape is a pattern. A
/// word position where `siblingsToMerge` patterns differ and nothing else does is a variable
/// the masking could not see (a user name, a host): those patterns merge into one with `<*>`
/// there, as long as at least half its words stay constant. Ids are stable: a pattern's id
/// never changes, and a merged pattern's id resolves to the pattern it went into.
public struct PatternMiner: Sendable {
    public struct Pattern: Sendable, Equatable {
        public var id: UInt32
        public var words: [String]
        /// The pattern this one merged into, if it did.
        public var mergedInto: UInt32?
        /// The time of the first record that had it (µs since the epoch).
        public var firstSeen: Int64 = 0
        public var template: String { words.joined(separator: " ") }
    }

    /// What one batch changed: the patterns it created (ids from `firstID` on) and the merges
    /// it made. Logged with the batch, so replay rebuilds exactly what was assigned.
    public struct Delta: Sendable, Equatable {
        public var firstID: UInt32
        public var created: [Pattern] = []
        public var merges: [(id: UInt32, into: UInt32)] = []

        public var isEmpty: Bool { created.isEmpty && merges.isEmpty }

        public static func == (a: Delta, b: Delta) -> Bool {
            a.firstID == b.firstID && a.created == b.created && a.merges.map(\.id) == b.merges.map(\.id)
                && a.merges.map(\.into) == b.merges.map(\.into)
        }
    }

    public private(set) var patterns: [Pattern] = []
    /// A shape (masked words joined by spaces) to its pattern, for the shapes seen.
    private var byShape: [String: UInt32] = [:]
    /// Patterns with a wildcard word (masked or merged), by word count: they cover a new
    /// shape whose constants match theirs (a masked position takes any word: `(host)` or `()`).
    private var general: [GeneralKey: [UInt32]] = [:]

    /// Patterns with wildcards by word count and first word (a wildcard first word: any).
    struct GeneralKey: Hashable {
        var count: Int
        var first: String
    }

    /// Candidates a new shape is checked against at most: a stream of ever-new shapes (random
    /// words) must cost a bounded amount per line.
    static let maxCoverChecks = 32
    /// (word count, position, the other words) → patterns with a constant there.
    private var siblings: [SiblingKey: [UInt32]] = [:]

    /// Patterns an index keeps at most; further new shapes all go to the overflow pattern.
    public var maxPatterns = 10_000
    /// Shapes remembered for lookups at most (each pattern's own shape is always kept).
    public var maxShapes = 200_000
    /// Distinct words at one position that make it a variable.
    public var siblingsToMerge = 3

    /// Changes since `takeDelta()` was last called.
    private var deltaStart: UInt32 = 0
    private var pendingMerges: [(id: UInt32, into: UInt32)] = []
    /// The time given to patterns created now (the record's own time).
    private var now: Int64 = 0

    /// Where shapes go once `maxPatterns` is reached.
    public static let overflowTemplate = "<overflow>"
    /// Holds the id of a pattern whose batch was never stored.
    public static let lostTemplate = "<lost>"

    struct SiblingKey: Hashable {
        var count: Int
        var position: Int
        var others: Int  // hash of the other words; checked on merge
    }

    public init() {}

    /// A miner that goes on from saved patterns (derived lookups rebuilt).
    public init(restoring saved: [Pattern]) {
        for p in saved {
            let id = UInt32(patterns.count)
            patterns.append(Pattern(id: id, words: p.words, mergedInto: nil, firstSeen: p.firstSeen))
            index(id)
        }
        for p in saved { if let into = p.mergedInto { patterns[Int(p.id)].mergedInto = into } }
        deltaStart = UInt32(patterns.count)
    }

    /// The patterns created and merges made since the last call.
    public mutating func takeDelta() -> Delta {
        defer {
            deltaStart = UInt32(patterns.count)
            pendingMerges = []
        }
        return Delta(firstID: deltaStart, created: Array(patterns[Int(deltaStart)...]), merges: pendingMerges)
    }

    /// Applies a logged delta at replay, keeping every id where it was given: patterns already
    /// known are skipped, and ids of a batch that never became durable (a gap) are held by
    /// placeholders. Replaying a delta already applied changes nothing. False when there was
    /// such a gap.
    public mutating func apply(_ delta: Delta) -> Bool {
        let gapless = Int(delta.firstID) <= patterns.count
        while patterns.count < Int(delta.firstID) && patterns.count < Int(UInt32.max) {
            patterns.append(Pattern(id: UInt32(patterns.count), words: [PatternMiner.lostTemplate], mergedInto: nil))
        }
        for p in delta.created where Int(p.id) >= patterns.count {
            let id = UInt32(patterns.count)
            patterns.append(Pattern(id: id, words: p.words, mergedInto: nil, firstSeen: p.firstSeen))
            index(id)
        }
        for m in delta.merges where Int(m.id) < patterns.count && Int(m.into) < patterns.count { patterns[Int(m.id)].mergedInto = m.into }
        deltaStart = UInt32(patterns.count)
        return gapless
    }

    /// The pattern of a record's message words, created with the record's time when new.
    public mutating func add(words: [String], at microseconds: Int64) -> UInt32 {
        now = microseconds
        return add(words: words)
    }

    /// The pattern an id stands for now (following merges).
    public func resolve(_ id: UInt32) -> UInt32 {
        var id = id
        var hops = 0
        while Int(id) < patterns.count, let next = patterns[Int(id)].mergedInto, hops < patterns.count {
            id = next
            hops += 1
        }
        return id
    }

    /// The pattern of one message.
    public mutating func add(_ message: Substring) -> UInt32 {
        add(words: TemplateTokens.of(message))
    }

    public mutating func add(words: [String]) -> UInt32 {
        let shape = words.joined(separator: " ")
        if let id = byShape[shape] { return resolve(id) }
        if let id = covering(words) {
            if byShape.count < maxShapes { byShape[shape] = id }
            return id
        }
        guard patterns.count < maxPatterns else { return overflow() }
        let id = create(words)
        return merge(id)
    }

    /// The first live pattern with wildcards (in creation order) whose constants all match
    /// `words`, among those with its first word or a wildcard there.
    private func covering(_ words: [String]) -> UInt32? {
        guard let first = words.first else { return nil }
        let same = general[GeneralKey(count: words.count, first: first)] ?? []
        let any = first == TemplateTokens.wildcard ? [] : general[GeneralKey(count: words.count, first: TemplateTokens.wildcard)] ?? []
        var (i, j, checks) = (0, 0, 0)
        while (i < same.count || j < any.count) && checks < PatternMiner.maxCoverChecks {
            let id: UInt32
            if j >= any.count || (i < same.count && same[i] < any[j]) {
                id = same[i]
                i += 1
            } else {
                id = any[j]
                j += 1
            }
            guard patterns[Int(id)].mergedInto == nil else { continue }
            checks += 1
            let p = patterns[Int(id)].words
            var fits = true
            for k in 0..<p.count where p[k] != TemplateTokens.wildcard && p[k] != words[k] {
                fits = false
                break
            }
            if fits { return id }
        }
        return nil
    }

    private mutating func overflow() -> UInt32 {
        if let id = byShape[PatternMiner.overflowTemplate] { return id }
        let id = UInt32(patterns.count)
        patterns.append(Pattern(id: id, words: [PatternMiner.overflowTemplate], mergedInto: nil, firstSeen: now))
        byShape[PatternMiner.overflowTemplate] = id
        return id
    }

    private mutating func create(_ words: [String]) -> UInt32 {
        let id = UInt32(patterns.count)
        patterns.append(Pattern(id: id, words: words, mergedInto: nil, firstSeen: now))
        index(id)
        return id
    }

    /// The lookups for one pattern: its shape, its siblings, its wildcards.
    private mutating func index(_ id: UInt32) {
        let words = patterns[Int(id)].words
        byShape[words.joined(separator: " ")] = id
        for key in siblingKeys(words) { siblings[key, default: []].append(id) }
        if let first = words.first, words.contains(TemplateTokens.wildcard) {
            general[GeneralKey(count: words.count, first: first), default: []].append(id)
        }
    }

    private func siblingKeys(_ words: [String]) -> [SiblingKey] {
        // Hash of all words but one, for every position: prefix and suffix hashes combined.
        var keys: [SiblingKey] = []
        for p in words.indices where words[p] != TemplateTokens.wildcard {
            var h = Hasher()
            h.combine(words.count)
            for (i, w) in words.enumerated() where i != p { h.combine(w) }
            keys.append(SiblingKey(count: words.count, position: p, others: h.finalize()))
        }
        return keys
    }

    /// Merges `id` with its siblings at the first position where enough of them differ, and
    /// the result again; returns the pattern `id` ends in.
    private mutating func merge(_ id: UInt32) -> UInt32 {
        var current = id
        while true {
            let words = patterns[Int(current)].words
            let constants = words.lazy.filter { $0 != TemplateTokens.wildcard }.count
            guard constants - 1 >= max(1, (words.count + 1) / 2) else { return current }
            var merged: UInt32?
            for key in siblingKeys(words) {
                let p = key.position
                var group: [UInt32] = []
                for other in siblings[key] ?? [] {
                    let o = patterns[Int(other)]
                    guard o.mergedInto == nil, o.words.count == words.count, o.words[p] != TemplateTokens.wildcard else { continue }
                    var same = true
                    for i in words.indices where i != p && o.words[i] != words[i] {
                        same = false
                        break
                    }
                    if same { group.append(other) }
                }
                guard group.count >= siblingsToMerge, patterns.count < maxPatterns else { continue }
                var general = words
                general[p] = TemplateTokens.wildcard
                let target = create(general)
                for g in group {
                    patterns[Int(g)].mergedInto = target
                    pendingMerges.append((g, target))
                }
                merged = target
                break
            }
            guard let next = merged else { return current }
            current = next
        }
    }
}
