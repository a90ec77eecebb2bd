import Foundation

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

        /// The words of a `template` (split at its ASCII spaces by byte: a split by
        /// Character cost ~300 instructions a byte when a restart read every pattern).
        static func words(ofTemplate template: String) -> [String] {
            if template.isEmpty { return [] }
            var text = template
            return text.withUTF8 { bytes in
                var words: [String] = []
                var start = 0
                for k in 0...bytes.count where k == bytes.count || bytes[k] == 0x20 {
                    words.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<k]), as: UTF8.self))
                    start = k + 1
                }
                return words
            }
        }
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
    /// Each pattern's word hashes, one pattern after another (`hashStart[id]..<hashStart[id + 1]`):
    /// a new shape is compared with candidates by these, with no string touched.
    private var hashes: [UInt64] = []
    private var hashStart: [Int] = [0]
    /// Shapes seen (masked words joined by spaces) to their pattern.
    private var shapes = ShapeTable()
    /// Patterns with a wildcard word (masked or merged), by word count: they cover a new
    /// shape whose constants match theirs (a masked position takes any word: `(host)` or `()`).
    private var general: [GeneralKey: Candidates] = [:]
    /// Those with a wildcard first word, by word count (index: the count; at most `maxWords`).
    private var generalAnyFirst: [Candidates] = Array(repeating: Candidates(), count: TemplateTokens.maxWords + 1)

    /// Wildcard patterns in creation order, each with a signature of its constants: one bit
    /// per (position, word), so a message lacking one of its bits cannot match it, known
    /// without reading its words (a scan of the signatures is a few instructions each).
    struct Candidates {
        var ids: [UInt32] = []
        var signatures: [UInt64] = []

        mutating func append(_ id: UInt32, _ signature: UInt64) {
            ids.append(id)
            signatures.append(signature)
        }
    }

    /// Patterns with wildcards by word count and first word (its hash; a wildcard: any).
    struct GeneralKey: Hashable {
        var count: Int
        var first: UInt64
    }

    /// Candidates a new shape is checked against at most: a stream of ever-new shapes (random
    /// words) must cost a bounded amount per line.
    static let maxCoverChecks = 64
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
        var others: UInt64  // hash of the other words; checked on merge
    }

    public init() {}

    /// A miner that goes on from saved patterns. Their lookups are rebuilt when it first
    /// mines (`indexPending`): a restart that only answers queries never pays for them.
    public init(restoring saved: [Pattern]) {
        patterns.reserveCapacity(saved.count)
        for p in saved { pendingIndex.append(append(words: p.words, firstSeen: p.firstSeen, indexed: false)) }
        for p in saved { if let into = p.mergedInto { patterns[Int(p.id)].mergedInto = into } }
        deltaStart = UInt32(patterns.count)
    }

    /// Patterns known but not yet in the lookups (restored or replayed), in id order; every
    /// one has a higher id than any indexed pattern, so indexing them before the next mined
    /// line gives the lookups they would have had.
    private var pendingIndex: [UInt32] = []

    private mutating func indexPending() {
        // Sized once: grown a key at a time, the sibling dictionary rehashed itself ~12 times.
        siblings.reserveCapacity(siblings.count + pendingIndex.reduce(0) { $0 + patterns[Int($1)].words.count })
        for id in pendingIndex { index(id) }
        pendingIndex = []
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
            append(words: [PatternMiner.lostTemplate], firstSeen: 0, indexed: false)
        }
        for p in delta.created where Int(p.id) >= patterns.count {
            pendingIndex.append(append(words: p.words, firstSeen: p.firstSeen, indexed: false))
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
        var masked = MaskedMessages()
        masked.append(utf8: message.utf8)
        return masked.withMessage(0) { add($0) }
    }

    /// The pattern of a message's masked words.
    public mutating func add(words: [String]) -> UInt32 {
        var masked = MaskedMessages()
        masked.append(words: words)
        return masked.withMessage(0) { add($0) }
    }

    /// The pattern of a masked message, created with the record's time when new.
    public mutating func add(_ message: MaskedMessage, at microseconds: Int64) -> UInt32 {
        now = microseconds
        return add(message)
    }

    /// A known shape costs one table probe; only a new one is matched against wildcard
    /// patterns and, if none covers it, made a pattern (the words become strings then).
    public mutating func add(_ message: MaskedMessage) -> UInt32 {
        if !pendingIndex.isEmpty { indexPending() }
        if let id = shapes.find(message.bytes, hash: message.hash) { return resolve(id) }
        if let id = covering(message) {
            if shapes.count < maxShapes { shapes.set(message.bytes, hash: message.hash, id: id) }
            return id
        }
        guard patterns.count < maxPatterns else { return overflow() }
        let id = append(words: message.words, firstSeen: now, indexed: true)
        absorbCovered(id)
        return merge(id)
    }

    static let wildcardHash = TemplateTokens.wildcardBytes.withUnsafeBytes { TemplateTokens.hash($0) }

    static func hash(of word: String) -> UInt64 {
        var word = word
        return word.withUTF8 { TemplateTokens.hash(UnsafeRawBufferPointer($0)) }
    }

    static func equal(_ word: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var word = word
        return word.withUTF8 { w in w.count == bytes.count && (w.isEmpty || memcmp(w.baseAddress!, bytes.baseAddress!, w.count) == 0) }
    }

    /// The first live pattern with wildcards (in creation order) whose constants all match
    /// the message's words, among those with its first word or a wildcard there. Compared by
    /// word hashes, then confirmed by the words themselves.
    private func covering(_ message: MaskedMessage) -> UInt32? {
        let count = message.wordCount
        guard count > 0 else { return nil }
        let first = TemplateTokens.hash(message.word(0))
        let same = candidates(count: count, first: first)
        let any = first == PatternMiner.wildcardHash ? Candidates() : candidates(count: count, first: PatternMiner.wildcardHash)
        if same.ids.isEmpty && any.ids.isEmpty { return nil }
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: count) { words -> UInt32? in
            var signature: UInt64 = 0
            for k in 0..<count {
                words[k] = TemplateTokens.hash(message.word(k))
                signature |= PatternMiner.signatureBit(words[k], k)
            }
            // The first fit of each list; the earlier of the two is the first in creation order.
            let a = firstFit(same, signature, words, message)
            let b = firstFit(any, signature, words, message)
            return a.flatMap { a in b.map { min(a, $0) } ?? a } ?? b
        }
    }

    /// The first live pattern among a list's first `maxCoverChecks` that has the message's
    /// constants: by signature, then word hashes, then the words themselves.
    private func firstFit(
        _ list: Candidates, _ signature: UInt64, _ words: UnsafeMutableBufferPointer<UInt64>, _ message: MaskedMessage
    ) -> UInt32? {
        let missing = ~signature
        return list.signatures.withUnsafeBufferPointer { signatures in
            hashes.withUnsafeBufferPointer { h in
                for k in 0..<min(signatures.count, PatternMiner.maxCoverChecks) where signatures[k] & missing == 0 {
                    let id = list.ids[k]
                    guard patterns[Int(id)].mergedInto == nil else { continue }
                    let base = hashStart[Int(id)]
                    var fits = true
                    for w in 0..<words.count where h[base + w] != PatternMiner.wildcardHash && h[base + w] != words[w] {
                        fits = false
                        break
                    }
                    if fits && constantsMatch(id, message) { return id }
                }
                return nil
            }
        }
    }

    /// The wildcard patterns of `count` words whose first word hashes to `first` (longer ones
    /// than a message can have, restored from a file, are in `general` whatever their first).
    private func candidates(count: Int, first: UInt64) -> Candidates {
        first == PatternMiner.wildcardHash && count < generalAnyFirst.count
            ? generalAnyFirst[count] : general[GeneralKey(count: count, first: first)] ?? Candidates()
    }

    /// Whether pattern `id`'s constant words are the message's, byte for byte.
    private func constantsMatch(_ id: UInt32, _ message: MaskedMessage) -> Bool {
        let p = patterns[Int(id)].words
        for k in 0..<p.count where p[k] != TemplateTokens.wildcard && !PatternMiner.equal(p[k], message.word(k)) { return false }
        return true
    }

    /// The overflow pattern's id, once known: every new shape past `maxPatterns` asks.
    private var overflowID: UInt32?

    private mutating func overflow() -> UInt32 {
        if let id = overflowID { return id }
        var template = PatternMiner.overflowTemplate
        let id = template.withUTF8 { t in
            let shape = UnsafeRawBufferPointer(t)
            return shapes.find(shape, hash: TemplateTokens.hash(shape))
        }
        let found = id ?? append(words: [PatternMiner.overflowTemplate], firstSeen: now, indexed: true)
        overflowID = found
        return found
    }

    /// Adds a pattern (its hashes with it) and, if `indexed`, the lookups that find it: its
    /// shape, its siblings, its wildcards.
    @discardableResult
    private mutating func append(words: [String], firstSeen: Int64, indexed: Bool) -> UInt32 {
        let id = UInt32(patterns.count)
        patterns.append(Pattern(id: id, words: words, mergedInto: nil, firstSeen: firstSeen))
        for w in words { hashes.append(PatternMiner.hash(of: w)) }
        hashStart.append(hashes.count)
        if indexed { index(id) }
        return id
    }

    /// Puts pattern `id` into the lookups: its shape, its siblings, its wildcards.
    private mutating func index(_ id: UInt32) {
        let words = patterns[Int(id)].words
        let range = hashStart[Int(id)]..<hashStart[Int(id) + 1]
        var shape = MaskedMessages()
        shape.append(words: words)
        shape.withMessage(0) { shapes.set($0.bytes, hash: $0.hash, id: id) }
        for key in siblingKeys(id) { siblings[key, default: []].append(id) }
        if !words.isEmpty, words.contains(TemplateTokens.wildcard) {
            var signature: UInt64 = 0
            for (k, h) in hashes[range].enumerated() where h != PatternMiner.wildcardHash {
                signature |= PatternMiner.signatureBit(h, k)
            }
            let first = hashes[range.lowerBound]
            if first == PatternMiner.wildcardHash && words.count < generalAnyFirst.count {
                generalAnyFirst[words.count].append(id, signature)
            } else {
                general[GeneralKey(count: words.count, first: first), default: Candidates()].append(id, signature)
            }
        }
    }

    /// The signature bit of word hash `hash` at `position`.
    static func signatureBit(_ hash: UInt64, _ position: Int) -> UInt64 { 1 << (positioned(hash, position) >> 58) }

    /// A word's hash mixed with its position, so the sum over positions is a hash of the
    /// words in order, and the sum less one term a hash of all the others.
    private static func positioned(_ hash: UInt64, _ position: Int) -> UInt64 {
        var h = (hash ^ (UInt64(truncatingIfNeeded: position) &* 0x9E37_79B9_7F4A_7C15)) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 31
        return h
    }

    /// For every constant position of pattern `id`: the hash of all its other words.
    private func siblingKeys(_ id: UInt32) -> [SiblingKey] {
        let range = hashStart[Int(id)]..<hashStart[Int(id) + 1]
        var total: UInt64 = 0
        for (p, k) in range.enumerated() { total &+= PatternMiner.positioned(hashes[k], p) }
        return range.enumerated().compactMap { p, k in
            hashes[k] == PatternMiner.wildcardHash
                ? nil : SiblingKey(count: range.count, position: p, others: total &- PatternMiner.positioned(hashes[k], p))
        }
    }

    /// Takes into a new wildcard pattern `general` the live patterns made before it that it
    /// covers: its words but one, which it has as `<*>`. Lines of their shapes arriving later
    /// find `general` by covering, so the lines already given them must count with it:
    /// `Invalid user webmaster from <*>` came before `Invalid user <*> from <*>` (made when
    /// `test9` was masked) and goes into it. Only a pattern mostly of constants takes others in
    /// (`<*>` or `<*> called` would take every one- or two-word message). Logged as merges, so
    /// replay gives the same.
    private mutating func absorbCovered(_ general: UInt32) {
        let range = hashStart[Int(general)]..<hashStart[Int(general) + 1]
        var wildcards = 0
        for k in range where hashes[k] == PatternMiner.wildcardHash { wildcards += 1 }
        guard wildcards > 0, 2 * (range.count - wildcards) > range.count else { return }
        var total: UInt64 = 0
        for (p, k) in range.enumerated() { total &+= PatternMiner.positioned(hashes[k], p) }
        for (p, k) in range.enumerated() where hashes[k] == PatternMiner.wildcardHash {
            // Patterns with a constant at p and `general`'s words elsewhere are its siblings there.
            let key = SiblingKey(count: range.count, position: p, others: total &- PatternMiner.positioned(hashes[k], p))
            for other in siblings[key] ?? [] where other != general && patterns[Int(other)].mergedInto == nil {
                if sameWords(other, as: general, except: p) {
                    patterns[Int(other)].mergedInto = general
                    pendingMerges.append((other, general))
                }
            }
        }
    }

    /// Whether pattern `other` has `id`'s words at every position but `p` (by hashes, then the
    /// words themselves): a sibling key only says the hashes of the others sum alike.
    private func sameWords(_ other: UInt32, as id: UInt32, except p: Int) -> Bool {
        let start = hashStart[Int(other)]
        let base = hashStart[Int(id)]
        let count = hashStart[Int(id) + 1] - base
        guard hashStart[Int(other) + 1] - start == count else { return false }
        for i in 0..<count where i != p && hashes[start + i] != hashes[base + i] { return false }
        let a = patterns[Int(other)].words
        let b = patterns[Int(id)].words
        return a.indices.allSatisfy { $0 == p || a[$0] == b[$0] }
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
            for key in siblingKeys(current) {
                let p = key.position
                var group: [UInt32] = []
                for other in siblings[key] ?? []
                where patterns[Int(other)].mergedInto == nil && sameWords(other, as: current, except: p)
                    && hashes[hashStart[Int(other)] + p] != PatternMiner.wildcardHash
                {
                    group.append(other)
                }
                guard group.count >= siblingsToMerge, patterns.count < maxPatterns else { continue }
                var general = words
                general[p] = TemplateTokens.wildcard
                let target = append(words: general, firstSeen: now, indexed: true)
                for g in group {
                    patterns[Int(g)].mergedInto = target
                    pendingMerges.append((g, target))
                }
                absorbCovered(target)
                merged = target
                break
            }
            guard let next = merged else { return current }
            current = next
        }
    }
}
