/// A growable array on raw memory for trivial element types, for the builder's hot tables:
/// no copy-on-write uniqueness check per append. Noncopyable, so there is one owner.
struct GrowableBuffer<Element: BitwiseCopyable>: ~Copyable {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int = 16) {
        self.capacity = max(1, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    @inline(__always)
    subscript(i: Int) -> Element {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }

    @inline(__always)
    mutating func append(_ e: Element) {
        if count == capacity { reserve(count + 1) }
        base[count] = e
        count += 1
    }

    /// Most appends are a word of a line (`ShortBytes`: no memcpy call for them).
    @inline(__always)
    mutating func append(contentsOf raw: UnsafeRawBufferPointer) where Element == UInt8 {
        let n = raw.count
        if count + n > capacity { reserve(count + n) }
        if n > 0, let from = raw.baseAddress { ShortBytes.copy(from, to: UnsafeMutableRawPointer(base + count), count: n) }
        count += n
    }

    /// Appends `n` copies of `e`; returns where they start.
    @inline(__always)
    mutating func append(repeating e: Element, count n: Int) -> Int {
        if count + n > capacity { reserve(count + n) }
        let at = count
        (base + at).initialize(repeating: e, count: n)
        count += n
        return at
    }

    mutating func removeAll() { count = 0 }

    /// Drops the last `n` elements (trivial: nothing to deinitialize).
    @inline(__always)
    mutating func removeLast(_ n: Int) {
        precondition(n >= 0 && n <= count, "removing more than the buffer holds")
        count -= n
    }

    /// Grows to at least `minimum` elements (doubling, so appends stay amortized O(1)).
    mutating func reserve(_ minimum: Int) {
        guard minimum > capacity else { return }
        var c = capacity * 2
        while c < minimum { c *= 2 }
        let fresh = UnsafeMutablePointer<Element>.allocate(capacity: c)
        fresh.moveInitialize(from: base, count: count)
        base.deallocate()
        base = fresh
        capacity = c
    }

    var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }
}
