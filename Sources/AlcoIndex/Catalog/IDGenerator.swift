/// Assigns time-ordered ids: a line at time `us` gets the smallest free id at or after
/// `DocumentID.make(microseconds: us)`, unique within the index.
///
/// Finding the smallest free id must stay O(1) per line when thousands of lines share one
/// timestamp (files with second resolution), and after an explicit far-future id (an INSERT of
/// id 2^64-1): so the generator remembers, per recently used microsecond, where its last probe
/// ended, and trusts `maxID` (no id above it exists) to skip probing altogether.
struct IDGenerator {
    /// The largest id the index has ever held: anything above it is free without a look-up.
    private(set) var maxID: UInt64 = 0
    /// Per microsecond recently assigned at more than once: every id from its first id up to
    /// this one (not included) is taken, so the next probe for that microsecond starts here.
    private var nextCandidate: [Int64: UInt64] = [:]
    /// The same for the last microsecond assigned at, outside the dictionary: lines mostly
    /// arrive in time order, and most microseconds get one line.
    private var lastMicros: Int64 = -1
    private var lastNext: UInt64 = 0
    /// Bounds `nextCandidate`; past it the map starts over (a probe then walks again once).
    static let rememberedMicroseconds = 65_536

    mutating func observe(_ id: UInt64) {
        maxID = max(maxID, id)
    }

    /// The id for a line at `us`; nil when `us` is outside what an id can hold (before 1970
    /// or after 2554-07-21). With a `hint` (logcollect's `seq`), the id `us × 1000 + hint mod
    /// 1000` when free, so a redelivered message gets its first id again.
    mutating func next(microseconds us: Int64, hint: UInt64?, exists: (UInt64) -> Bool) -> UInt64? {
        guard DocumentID.canHold(microseconds: us) else { return nil }
        let first = DocumentID.make(microseconds: us)
        if let hint {
            let candidate = first + hint % DocumentID.perMicrosecond
            if candidate > maxID || !exists(candidate) {
                observe(candidate)
                return candidate
            }
        }
        var candidate = first
        if us == lastMicros {
            candidate = max(first, lastNext)
        } else if first <= maxID, let next = nextCandidate[us] {
            candidate = max(first, next)
        }
        // Above every id the index holds: free. Otherwise walk up from where the last probe
        // for this microsecond ended; each taken id is stepped over once per microsecond.
        while candidate <= maxID && exists(candidate) {
            guard candidate < .max else { return nil }
            candidate += 1
        }
        let next = candidate == .max ? candidate : candidate + 1
        if us != lastMicros {
            // The previous microsecond is remembered only if it got more than one id.
            if lastMicros >= 0 && lastNext > DocumentID.make(microseconds: lastMicros) + 1 {
                if nextCandidate.count >= IDGenerator.rememberedMicroseconds { nextCandidate = [:] }
                nextCandidate[lastMicros] = lastNext
            }
            lastMicros = us
        }
        lastNext = next
        observe(candidate)
        return candidate
    }
}
