import MetricsTestKit
import Testing

@testable import AlcoCollector

/// Consume-to-ack: one value per batch, recorded when the ack that covers the batch goes out,
/// never for a batch not yet acknowledged.
@Suite struct AckLatencyTests {
    @Test func oneValuePerBatchWhenItsAckGoesOut() throws {
        let metrics = TestMetrics()
        var latency = AckLatency(index: "app", factory: metrics)
        latency.received()
        latency.received()
        latency.submitted(lastTag: 2)
        latency.received()
        latency.submitted(lastTag: 3)
        let timer = try metrics.expectTimer("alco_amqp_consume_to_ack_seconds", [("index", "app")])
        #expect(timer.values.isEmpty, "nothing acknowledged yet")
        latency.acknowledged(upTo: 2)
        #expect(timer.values.count == 1)
        latency.acknowledged(upTo: 2)
        #expect(timer.values.count == 1, "an ack again up to the same tag covers no new batch")
        latency.received()
        latency.submitted(lastTag: 4)
        // One `multiple` ack covering two batches records both.
        latency.acknowledged(upTo: 4)
        #expect(timer.values.count == 3)
        #expect(timer.values.allSatisfy { $0 >= 0 })
    }

    @Test func aSubmissionWithNothingReceivedIsNoBatch() throws {
        let metrics = TestMetrics()
        var latency = AckLatency(index: "app", factory: metrics)
        latency.submitted(lastTag: 1)
        latency.acknowledged(upTo: 1)
        #expect(try metrics.expectTimer("alco_amqp_consume_to_ack_seconds", [("index", "app")]).values.isEmpty)
    }
}
