import CoreMetrics

/// The ingest histogram every source shares, so its name and labels are spelled once.
public enum IngestMetrics {
    /// `alco_ingest_batch_duration_seconds{index, source}`: one batch from decoding to durable
    /// (WAL fsynced); `source` is the kind of source (`amqp`, `redis`, `file`, `http`), never a
    /// name a client chose.
    public static func batchDuration(index: String, source: String) -> CoreMetrics.Timer {
        CoreMetrics.Timer(label: "alco_ingest_batch_duration_seconds", dimensions: [("index", index), ("source", source)])
    }
}
