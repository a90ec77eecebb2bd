import AlcoIndex
import AlcoIngest

/// One index's source status as its consumers update it, from several threads.
public final class CollectorMetrics: @unchecked Sendable {
    private let lock = ConditionLock()
    private var value = SourceStatus()

    public init() {}

    public var snapshot: SourceStatus { lock.withLock { value } }

    func update(_ change: (inout SourceStatus) -> Void) { lock.withLock { change(&value) } }
}
