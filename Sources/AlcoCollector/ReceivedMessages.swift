/// Raw messages received from a source, kept end to end in one buffer: a batch of thousands
/// costs a few growing allocations rather than one per message, and none of them is freed
/// message by message on the thread that stores the batch.
struct ReceivedMessages: Sendable {
    private(set) var bytes: [UInt8] = []
    private var ends: [Int] = []
    /// Where each message came from, for the rejects store; consecutive messages from the same
    /// place share one string.
    private var origins: [(from: Int, origin: String)] = []

    var count: Int { ends.count }
    var isEmpty: Bool { ends.isEmpty }

    init(reservingBytes: Int = 0, messages: Int = 0) {
        bytes.reserveCapacity(reservingBytes)
        ends.reserveCapacity(messages)
    }

    mutating func append(_ body: UnsafeRawBufferPointer, origin: String) {
        if origins.last?.origin != origin { origins.append((ends.count, origin)) }
        bytes.append(contentsOf: body)
        ends.append(bytes.count)
    }

    mutating func append(_ body: [UInt8], origin: String) {
        body.withUnsafeBytes { append($0, origin: origin) }
    }

    /// Calls `body` with each message and where it came from, in order.
    func forEach(_ body: (UnsafeRawBufferPointer, _ origin: () -> String) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { all in
            var start = 0
            var run = 0
            for (k, end) in ends.enumerated() {
                while run + 1 < origins.count && origins[run + 1].from <= k { run += 1 }
                let origin = origins[run].origin
                try body(UnsafeRawBufferPointer(rebasing: all[start..<end]), { origin })
                start = end
            }
        }
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        origins.removeAll(keepingCapacity: true)
    }
}
