/// Assigns time-ordered ids: a line at time `us` gets the smallest free id at or after
/// `DocumentID.make(microseconds: us)`, unique within the index; on a cluster node, the
/// smallest of the node's own ids (`DocumentID.maxNodes`), unique across the cluster.
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
    /// This node's number, nil on a standalone server (every id is its own).
    let node: Int?
    /// The distance between two ids of this node.
    private let stride: UInt64

    init(node: Int? = nil) {
        self.node = node
        self.stride = node == nil ? 1 : UInt64(DocumentID.maxNodes)
    }

    /// The first id at or after `id` that this node may assign.
    private func aligned(_ id: UInt64) -> UInt64? {
        guard let node else { return id }
        let n = UInt64(DocumentID.maxNodes)
        let offset = (UInt64(node) + n - id % n) % n
        return id <= .max - offset ? id + offset : nil
    }

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
        guard var candidate = aligned(first) else { return nil }
        if us == lastMicros {
            candidate = max(candidate, lastNext)
        } else if first <= maxID, let next = nextCandidate[us] {
            candidate = max(candidate, next)
        }
        // Above every id the index holds: free. Otherwise walk up from where the last probe
        // for this microsecond ended; each taken id is stepped over once per microsecond.
        while candidate <= maxID && exists(candidate) {
            guard candidate <= .max - stride else { return nil }
            candidate += stride
        }
        let next = candidate > .max - stride ? candidate : candidate + stride
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
