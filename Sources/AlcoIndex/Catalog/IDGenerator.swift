/// Assigns time-ordered ids: µs × 1000 + a per-µs sequence, unique within the index.
struct IDGenerator {
    private(set) var lastMicros: Int64 = 0
    private(set) var lastSequence: UInt64 = 0
    /// The largest id the index has ever held: anything above it is free without a look-up.
    private(set) var maxID: UInt64 = 0

    mutating func observe(_ id: UInt64) {
        maxID = max(maxID, id)
        let us = DocumentID.microseconds(of: id)
        let seq = id % DocumentID.perMicrosecond
        if us > lastMicros || (us == lastMicros && seq > lastSequence) {
            lastMicros = us
            lastSequence = seq
        }
    }

    mutating func next(microseconds us: Int64, hint: UInt64?, exists: (UInt64) -> Bool) -> UInt64 {
        if let hint {
            let candidate = DocumentID.make(microseconds: us, sequence: hint % DocumentID.perMicrosecond)
            if candidate > maxID || !exists(candidate) {
                observe(candidate)
                return candidate
            }
        }
        if us < lastMicros {
            // A late line: take the first free id at its time.
            var candidate = DocumentID.make(microseconds: us)
            while exists(candidate) { candidate += 1 }
            return candidate
        }
        if us > lastMicros {
            lastMicros = us
            lastSequence = 0
        } else {
            lastSequence += 1
            if lastSequence >= DocumentID.perMicrosecond {
                lastMicros += 1
                lastSequence = 0
            }
        }
        var id = DocumentID.make(microseconds: lastMicros, sequence: lastSequence)
        if id > maxID {
            observe(id)
            return id
        }
        while exists(id) {
            id += 1
            observe(id)
        }
        return id
    }
}
