import AlcoIngest
import Synchronization

/// One index's source status as its consumers update it, from several threads.
public final class CollectorMetrics: Sendable {
    private let value = Mutex(SourceStatus())

    public init() {}

    public var snapshot: SourceStatus { value.withLock { $0 } }

    func update(_ change: (inout SourceStatus) -> Void) { value.withLock { change(&$0) } }
}
