import Foundation

/// Background work and closing: the timer's round (seal when the buffer is due, persist when
/// memory or time say so) and the final flush.
extension LogIndex {
    /// One round of background work; errors are recorded as problems, never thrown.
    func maintain() {
        let (buffered, age, memBytes, memCount, sincePersist) = stateLock.withLock { () -> (Int, UInt64, Int, Int, UInt64) in
            let now = DispatchTimeLike.now()
            // Saturating: a writer may have stamped a time between our clock read and the lock.
            func since(_ t: UInt64) -> UInt64 { now > t ? now - t : 0 }
            var buffered = 0, memBytes = 0, memCount = 0
            for p in partitions.values {
                buffered += p.buffer.count
                for s in p.segments where !s.isPersisted {
                    memBytes += s.reader.storage.bytes.count
                    memCount += 1
                }
                memBytes += p.bufferBytes
            }
            return (buffered, oldestBufferedAt.map(since) ?? 0, memBytes, memCount, since(lastPersistAt))
        }
        do {
            let bufferedBytes = stateLock.withLock { partitions.values.reduce(0) { $0 + $1.bufferBytes } }
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
            stateLock.withLock {
                let message = "maintenance of index \(name) failed: \(error)"
                if problemsValue.last != message { problemsValue.append(message) }
            }
        }
    }

    /// Flushes everything and stops accepting writes.
    func close() throws {
        stateLock.withLock { isClosing = true }
        try flush()
        stateLock.withLock { isClosed = true }
        wal.close()
    }
}
