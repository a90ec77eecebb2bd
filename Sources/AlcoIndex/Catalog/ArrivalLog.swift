/// The ids of recently appended documents in the order they became searchable, numbered by
/// an arrival sequence, so a live tail shows lines as they come even when their timestamps
/// (and so their ids) arrive out of order. Bounded: the oldest arrivals fall off.
struct ArrivalLog {
    let capacity: Int
    private var ring: [UInt64]
    /// The sequence number the next arrival gets.
    private(set) var next: UInt64 = 0

    init(capacity: Int) {
        self.capacity = capacity
        ring = [UInt64](repeating: 0, count: capacity)
    }

    mutating func record(_ ids: some Sequence<UInt64>) {
        for id in ids {
            ring[Int(next % UInt64(capacity))] = id
            next += 1
        }
    }

    /// Up to `limit` ids that arrived at sequence `from` or later, and how many wanted ones
    /// had already fallen off.
    func since(_ from: UInt64, limit: Int) -> Arrivals {
        let oldest = next > UInt64(capacity) ? next - UInt64(capacity) : 0
        let start = max(from, oldest)
        let end = min(next, start + UInt64(max(0, limit)))
        guard start < end else { return Arrivals(ids: [], next: max(from, start), missed: start > from ? start - from : 0) }
        let ids = (start..<end).map { ring[Int($0 % UInt64(capacity))] }
        return Arrivals(ids: ids, next: end, missed: start - min(from, start))
    }
}

/// What `LogIndex.arrivals(since:limit:)` returns.
public struct Arrivals: Sendable, Equatable {
    public var ids: [UInt64]
    /// The sequence to ask from next time.
    public var next: UInt64
    /// Arrivals asked for that were no longer kept.
    public var missed: UInt64
}
