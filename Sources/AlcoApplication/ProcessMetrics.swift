import CoreMetrics
import Prometheus

/// The process's metrics backend: swift-metrics bootstrapped, once, with a Prometheus registry
/// that `/metrics` renders. Touched before the catalog opens, so the engine's histograms are
/// made against it (a metric made before the bootstrap records nowhere).
enum ProcessMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = durationBuckets
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// From a tenth of a millisecond (a search, an fsync on a fast disk) to a minute (a merge
    /// of big segments): Prometheus' default buckets start at 5 ms, where most of ours end.
    static let durationBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]
}
