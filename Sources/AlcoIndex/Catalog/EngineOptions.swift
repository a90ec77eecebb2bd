import Foundation

/// Tuning of the write path and background maintenance.
public struct EngineOptions: Sendable {
    /// fsync the WAL before an append returns (off only for benchmarks of the rest).
    public var syncWrites = true
    /// Give collected lines their message pattern; on unless `alco serve --no-patterns`,
    /// `alco ingest --no-patterns` or `$ALCO_PATTERNS=off` (what it costs at ingest:
    /// Benchmarks/patterns_cost.py).
    public var minePatterns = ProcessInfo.processInfo.environment["ALCO_PATTERNS"] != "off"
    /// Seal the realtime buffer into a searchable segment at this many documents...
    public var sealThresholdDocs = 32_768
    /// Appenders seal themselves (back-pressure) past this many buffered documents, so memory
    /// stays bounded when writes outrun the background sealer (1.5 seals: at 2 the buffer
    /// refilling during a seal took peak RSS past 300 MB at 100k lines/s).
    public var maxBufferedDocs = 49_152
    /// ...or when its oldest document is this old.
    public var sealIntervalMilliseconds = 1_000
    /// Write in-memory segments to disk (and checkpoint the WAL) past this many bytes (32 MiB:
    /// at 48 peak RSS of a fast ingest went past 300 MB more often)...
    public var persistThresholdBytes = 32 << 20
    /// ...or this often.
    public var persistIntervalSeconds = 30.0
    /// Merges stop growing a segment past this many documents (bounds merge memory).
    public var maxSegmentDocs = 262_144
    /// ...or past this many bytes of text (loglines and js): segments of megabyte lines stay
    /// far below the 32-bit offsets of the format, and a seal's memory stays bounded.
    public var maxSegmentBytes = 512 << 20
    /// Appenders seal themselves past this many buffered bytes, as past `maxBufferedDocs`.
    public var maxBufferedBytes = 256 << 20
    /// Merge when a day has more than this many segments on disk.
    public var mergeFactor = 8
    /// While a day's documents keep arriving (its last append is younger than this), background
    /// merges of that day wait, leaving the CPU to sealing, unless it has `deferredMergeLimit` ×
    /// `mergeFactor` segments or more; days no longer written merge meanwhile. A day catches up
    /// once its writes pause.
    public var mergeQuietMilliseconds = 2_000
    public var deferredMergeLimit = 4
    /// At this many appended documents a second or more (a backfill, a burst), every day's
    /// background merges wait up to `fullRateMergeLimit`, compress their output at `interim`,
    /// and leave compressing again at `high` until the rate falls: a merge at `high` costs ~14
    /// µs a line here, so at 20,000 lines/s merging every line once at `high` would take a
    /// third of a core from sealing; under it, a trickle of writes still gets every merged day
    /// compressed hard.
    public var fullRateAppendsPerSecond = 20_000
    /// At full rate every day's merges wait until it has `mergeFactor ×` this many segments
    /// (64): a day of a 10M-line backfill seals ~40, so none merges while the lines come in,
    /// and the segment count per day stays bounded however long the rate lasts.
    public var fullRateMergeLimit = 8
    /// Seals of at least this many documents are built as parallel segments on the cores.
    public var parallelSealDocs = 16_384
    /// Run sealing, persisting, merging and retention on a background timer.
    public var backgroundMaintenance = true
    /// How often the background timer runs.
    public var maintenanceIntervalMilliseconds = 200
    /// The time limit of searches that do not set their own (`SearchRequest.timeLimitMilliseconds`);
    /// nil: none. A server sets one so no query holds a thread indefinitely.
    public var defaultQueryTimeMilliseconds: Int?
    /// This server's node number in a cluster (0..<DocumentID.maxNodes): the ids it assigns
    /// are its own. Recorded in the data directory at first use; nil takes the recorded one.
    public var node: Int?

    public init() {}
}

/// How `append` treats an id that already exists.
public enum WriteMode: Sendable {
    /// An existing id is an error; nothing of the batch is written.
    case insert
    /// An existing id is replaced.
    case replace
}

/// A document to append. Without an id, one is made from the time (now when absent).
public struct NewDocument: Sendable {
    public var id: UInt64?
    public var microseconds: Int64?
    /// A per-producer sequence number (logcollect's `seq`) that feeds the id's low digits.
    public var sequenceHint: UInt64?
    public var logline: String
    /// The js object as JSON text. Producers pass text they built or validated; the engine
    /// stores it as given.
    public var js: String
    /// Where the message begins in `logline` (UTF-8 bytes; a text line's header of time, level
    /// and fields comes before it): the engine gives the record the pattern of its message,
    /// kept beside js (`Document.pattern`) and shown to readers as js's `pattern` member (so
    /// its js must have no top-level `pattern` of its own: decoders write a producer's as
    /// `pattern_x`). Nil: no pattern (a SphinxQL client's document stays as it was given).
    public var messageOffset: Int?

    public init(id: UInt64? = nil, microseconds: Int64? = nil, sequenceHint: UInt64? = nil, logline: String, js: JSONValue = .object([])) {
        self.init(id: id, microseconds: microseconds, sequenceHint: sequenceHint, logline: logline, jsText: js.serialized())
    }

    public init(id: UInt64? = nil, microseconds: Int64? = nil, sequenceHint: UInt64? = nil, logline: String, jsText: String) {
        self.id = id
        self.microseconds = microseconds
        self.sequenceHint = sequenceHint
        self.logline = logline
        self.js = jsText
    }
}

/// What `stats` reports for an index.
public struct IndexStats: Sendable {
    public var name: String
    public var documents: Int
    public var bufferedDocuments: Int
    /// What the realtime buffer holds, in bytes (`EngineOptions.maxBufferedBytes` bounds it).
    public var bufferedBytes = 0
    public var memorySegments: Int
    public var diskSegments: Int
    public var diskBytes: Int
    public var deletedDocuments: Int
    public var days: [(day: Int, documents: Int, segments: Int)]
    public var walLSN: UInt64
    public var checkpointLSN: UInt64
    public var problems: [String]
    public var minID: UInt64?
    public var maxID: UInt64?
    /// Lines that arrived older than the retention keeps, since the index was opened.
    public var lateArrivals = LateArrivals()
}

/// Lines stored with a time the retention period no longer keeps: they go at the next
/// maintenance pass, so whoever sends them should be told (and raise the retention).
public struct LateArrivals: Sendable, Equatable {
    public var lines = 0
    public var oldestMicroseconds: Int64 = .max
    /// When the last of them arrived (µs since the epoch).
    public var lastArrivedMicroseconds: Int64 = 0

    public init() {}
}
