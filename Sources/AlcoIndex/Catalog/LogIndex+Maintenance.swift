import Foundation

/// Background work and closing: the timer's round (seal when the buffer is due, persist when
/// memory or time say so) and the final flush.
extension LogIndex {
    /// One round of background work; errors are recorded as problems, never thrown.
    func maintain() {
        let (buffered, bufferedBytes, age, memBytes, memCount, sincePersist) = state.withLock { s in
            let now = DispatchTimeLike.now()
            // Saturating: a writer may have stamped a time between our clock read and the lock.
            func since(_ t: UInt64) -> UInt64 { now > t ? now - t : 0 }
            var memBytes = s.buffer.bytes, memCount = 0
            for segment in s.segments.all where !segment.isPersisted {
                memBytes += segment.reader.storage.bytes.count
                memCount += 1
            }
            return (s.buffer.count, s.buffer.bytes, s.buffer.oldestArrival.map(since) ?? 0, memBytes, memCount, since(s.lastPersistAt))
        }
        do {
            if buffered >= options.sealThresholdDocs || bufferedBytes >= options.maxBufferedBytes / 2
                || (buffered > 0 && age >= UInt64(options.sealIntervalMilliseconds) * 1_000_000)
            {
                try seal()
            }
            let persistDue =
                memBytes >= options.persistThresholdBytes || memCount > 32
                || (memCount > 0 && Double(sincePersist) / 1e9 >= options.persistIntervalSeconds)
            if persistDue { try flush() }
        } catch {
            report("maintenance of index \(name) failed: \(error)")
        }
    }

    /// Flushes everything and stops accepting writes.
    func close() throws {
        beginClosing()
        try flush()
        closeWithoutFlush()
    }
}
