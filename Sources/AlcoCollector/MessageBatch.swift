import AlcoIndex
import AlcoIngest
import CoreMetrics
import Foundation

/// Stores a batch of raw messages from a source: decodes each, keeps the bad ones in the
/// rejects store (synced), and appends the good ones in one durable write. Returns only when
/// all of it is on disk, so the caller may then acknowledge the batch to its source.
struct MessageBatch {
    let index: LogIndex
    let rejects: RejectStore
    let metrics: CollectorMetrics
    let decoder: LogstashDecoder
    /// Each batch from decoding to durable, as `alco_ingest_batch_duration_seconds`.
    let duration: CoreMetrics.Timer

    /// - Parameter source: the kind of source (`amqp`, `redis`), a label of the batch histogram.
    init(index: LogIndex, rejects: RejectStore, metrics: CollectorMetrics, source: String) {
        self.index = index
        self.rejects = rejects
        self.metrics = metrics
        duration = IngestMetrics.batchDuration(index: index.name, source: source)
        var d = LogstashDecoder(producerZone: index.producerTimeZone)
        d.requireTimestamp = true
        decoder = d
    }

    func store(_ messages: ReceivedMessages) throws {
        let started = DispatchTime.now().uptimeNanoseconds
        let now = Int64(Date().timeIntervalSince1970 * 1e6)
        var docs: [NewDocument] = []
        docs.reserveCapacity(messages.count)
        var rejected = 0
        try messages.forEach { body, origin in
            switch decoder.decode(body, now: now) {
            case .success(var doc):
                // logcollect's `seq` makes the id a function of the message, so a redelivered
                // message replaces itself instead of appearing twice.
                if let us = doc.microseconds, let seq = doc.sequenceHint {
                    doc.id = DocumentID.make(microseconds: us, sequence: seq % DocumentID.perMicrosecond)
                }
                docs.append(doc)
            case .failure(let rejection):
                rejected += 1
                try rejects.record(rejection, raw: body, source: origin(), line: nil, index: index.name)
                metrics.update { $0.rejected[rejection.reason, default: 0] += 1 }
            }
        }
        if rejected > 0 { try rejects.sync() }
        if !docs.isEmpty { try index.append(docs, mode: .replace) }
        duration.recordNanoseconds(since: started)
        metrics.update {
            $0.received += messages.count
            $0.stored += docs.count
            $0.batches += 1
        }
    }
}
