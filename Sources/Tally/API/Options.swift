import Logging

/// How a database is opened. Fields marked *stored* are fixed when the database is created and
/// read back from the file afterwards; the rest apply to this handle only.
public struct Options: Sendable {
    /// *Stored.* Rollup resolution.
    public var bucket: Granularity = .hour
    /// *Stored.* Time span of one segment. A multiple of ``bucket``.
    public var partition: Granularity = .day
    /// *Stored.* Batch ids are remembered for this long after their ingest (wall-clock time).
    public var dedupeWindowMilliseconds: Int64 = 7 * 86_400_000
    /// *Stored.* Partitions older than this are dropped automatically; `nil` keeps everything.
    public var retentionMilliseconds: Int64? = nil
    /// *Stored.* The metric of exposure events (experiments).
    public var exposureMetric = "exposure"
    /// *Stored.* The dimension naming the experiment on exposure events.
    public var experimentDimension = "experiment"
    /// *Stored.* The dimension naming the variant on exposure events.
    public var variantDimension = "variant"

    /// Open without writing anything and without taking the writer's lock: the handle sees the
    /// last committed state (file plus write-ahead log) at the moment of opening.
    public var readOnly = false
    /// Create the database when the file does not exist. Otherwise opening a missing file fails
    /// with ``TallyError/Code/notFound``.
    public var createIfMissing = true
    /// When the write-ahead log is corrupt in the middle, keep the records before the damage
    /// and discard the rest instead of refusing to open. Only with `readOnly == false`.
    public var salvage = false
    /// Load the experiment state (for ``Tally/variantReport(experiment:metrics:control:weights:)``).
    /// A read-only handle that only queries may set this to `false` to open faster; its
    /// report calls then fail. A writer always keeps the state.
    public var loadsExperimentState = true
    public var durability: Durability = .full
    /// The in-memory rollups are written to a segment when they outgrow this budget.
    public var memoryBudgetBytes = 64 << 20
    /// Decoded row groups of segments kept in memory for later queries (0: none). Repeated
    /// queries over the same data then skip reading and decompressing it. A week of a busy
    /// metric at 10 M events a month decodes to about 70 MB; a scan larger than the cache
    /// gains little from it (the oldest groups are evicted first).
    public var queryCacheBytes = 128 << 20
    /// Threads one query scans segments on (each taking at least four segments); 0: one per
    /// processor, at most 4.
    public var queryThreads = 0
    /// The head is flushed when the write-ahead log grows past this size.
    public var walBudgetBytes = 256 << 20
    public var limits = Limits()

    /// Where the engine reports recovery actions (a truncated log tail, a stale log removed,
    /// a salvage), flushes and failures. Quiet by default: pass your own `Logger` to see them.
    public var logger = Logger(label: "tally", factory: { _ in SwiftLogNoOpLogHandler() })

    public var fileSystem: any FileSystem = POSIXFileSystem()
    public var clock: any WallClock = SystemWallClock()

    var _crashHook = CrashHookBox(value: nil)

    public init() {}
}

/// When an acknowledged batch becomes durable.
public enum Durability: String, Sendable, CaseIterable {
    /// `ingest` returns after the batch is synced to disk. Survives process kill and power loss.
    /// Concurrent ingests share one sync (group commit).
    case full
    /// `ingest` returns after the batch is written to the operating system; a sync follows
    /// within a few milliseconds. Survives a process kill; a power loss may lose the last moments.
    case normal
    /// Never syncs the write-ahead log. Survives a process kill; a power loss may lose any batch
    /// since the last flush.
    case off
}

/// A time resolution for buckets and partitions.
public enum Granularity: String, Sendable, CaseIterable {
    case minute, hour, day, week

    public var milliseconds: Int64 {
        switch self {
        case .minute: 60_000
        case .hour: 3_600_000
        case .day: 86_400_000
        case .week: 604_800_000
        }
    }

    init?(milliseconds: Int64) {
        guard let match = Granularity.allCases.first(where: { $0.milliseconds == milliseconds }) else {
            return nil
        }
        self = match
    }
}

/// Bounds on what one batch may contain. Every violation rejects the whole batch.
public struct Limits: Sendable {
    public var maxEventsPerBatch = 100_000
    public static let maxDimensionsPerEvent = 16
    /// Metric names and dimension keys: 1…64 bytes of `[A-Za-z0-9_.:-]`.
    public static let maxNameBytes = 64
    /// Dimension values: 0…256 bytes of UTF-8 without control characters.
    public static let maxDimensionValueBytes = 256
    /// Units: 1…128 bytes of UTF-8 without control characters.
    public static let maxUnitBytes = 128
    /// Batch ids: 1…256 bytes.
    public static let maxBatchIDBytes = 256
    /// Timestamps: 0 (1970-01-01) up to, not including, 253402300800000 (year 10000).
    public static let timestampRange: Range<Int64> = 0..<253_402_300_800_000
    /// Distinct dimension combinations per metric held in memory between two flushes
    /// (the guard against cardinality explosion, e.g. a request id used as a dimension).
    public var maxSeriesPerMetric = 1_000_000

    public init() {}
}
