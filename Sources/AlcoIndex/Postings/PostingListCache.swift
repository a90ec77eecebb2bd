import Synchronization

/// The parsed block headers of a segment's long posting lists. A frequent word's list has
/// thousands of blocks, and every query naming the word would decode all their headers again
/// (a tenth of the CPU of a query mix with one frequent word in four queries); the list is
/// parsed once and its headers shared.
final class PostingListCache: Sendable {
    /// Shorter lists parse faster than a look-up here costs to keep.
    static let minimumDocs = 4096

    private let lists = Mutex<[Int: PostingList]>([:])
    private let capacity: Int

    /// `capacity` lists at most: a segment has few words this frequent, and a list of n docs
    /// keeps about n / 10 bytes of headers.
    init(capacity: Int = 64) { self.capacity = capacity }

    /// The list at `offset` of the postings section, parsed by `parse` the first time.
    func list(at offset: Int, parse: () throws -> PostingList) throws -> PostingList {
        if let known = lists.withLock({ $0[offset] }) { return known }
        let list = try parse()
        lists.withLock { lists in
            // Full: start over rather than track use; the next queries refill what they need.
            if lists.count >= capacity { lists.removeAll(keepingCapacity: true) }
            lists[offset] = list
        }
        return list
    }
}
