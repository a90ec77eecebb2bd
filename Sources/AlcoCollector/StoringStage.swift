import AlcoIndex
import Foundation

/// Stores a consumer's batches on a thread of its own, in the order they were handed over,
/// while the consumer goes on receiving the next ones: receiving costs the broker and us
/// little, storing waits for an fsync, and a consumer that did both in turn left the broker
/// idle during every store. The consumer acknowledges only what `takeStored()` returns, so a
/// delivery is still acknowledged only once its batch, and every batch before it, is durable.
final class StoringStage: @unchecked Sendable {
    /// What became durable since the last `takeStored()`: acknowledge up to `lastTag`.
    struct Stored: Equatable {
        var lastTag: UInt64
        var messages: Int
    }

    private let lock = ConditionLock()
    private let queue: DispatchQueue
    private let maxWaiting: Int
    private var waiting = 0
    /// Callers of `submit` waiting for room.
    private var blockedSubmitters = 0
    private var stored: Stored?
    private var failure: (any Error)?

    /// `maxWaiting` batches may be handed over and not yet stored; handing over one more waits.
    init(name: String, maxWaiting: Int = 2) {
        queue = DispatchQueue(label: name)
        self.maxWaiting = maxWaiting
    }

    /// Batches handed over and not yet stored.
    var inFlight: Int { lock.withLock { waiting } }

    /// Callers of `submit` waiting for room (what back-pressure holds).
    var blocked: Int { lock.withLock { blockedSubmitters } }

    /// Hands a batch over to be stored by `store`, whose last delivery has `lastTag`. Waits while
    /// `maxWaiting` batches are in flight. Throws the error of an earlier batch that failed:
    /// from then on nothing more is stored, so nothing after the failure is acknowledged either.
    func submit(lastTag: UInt64, messages: Int, _ store: @escaping @Sendable () throws -> Void) throws {
        try lock.withLock {
            while waiting >= maxWaiting && failure == nil {
                blockedSubmitters += 1
                lock.wait()
                blockedSubmitters -= 1
            }
            if let failure { throw failure }
            waiting += 1
        }
        queue.async { [self] in
            let failedBefore = lock.withLock { failure != nil }
            var error: (any Error)?
            if !failedBefore {
                do { try store() } catch let e { error = e }
            }
            lock.withLock {
                waiting -= 1
                if let error, failure == nil { failure = error }
                if error == nil && !failedBefore {
                    let before = stored?.messages ?? 0
                    stored = Stored(lastTag: lastTag, messages: before + messages)
                }
                lock.broadcast()
            }
        }
    }

    /// What was stored since the last call, or nil; throws a store's failure once all that was
    /// stored before it has been taken.
    func takeStored() throws -> Stored? {
        try lock.withLock {
            if let s = stored {
                stored = nil
                return s
            }
            if let failure { throw failure }
            return nil
        }
    }

    /// Waits until every batch handed over has been stored or has failed.
    func finish() {
        lock.withLock {
            while waiting > 0 { lock.wait() }
        }
    }
}
