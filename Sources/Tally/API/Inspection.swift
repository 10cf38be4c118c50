/// What ``Tally/info()`` reports about a database.
public struct DatabaseInfo: Sendable {
    public var path: String
    public var formatVersion: UInt32
    public var createdAt: Int64
    public var bucket: Granularity
    public var partition: Granularity
    public var retentionMilliseconds: Int64?
    public var dedupeWindowMilliseconds: Int64
    public var exposureMetric: String
    public var experimentDimension: String
    public var variantDimension: String
    public var fileBytes: UInt64
    /// 0 when there is no write-ahead log (nothing unflushed).
    public var walBytes: UInt64
    /// The committed superblock generation.
    public var generation: UInt64
    /// Events accepted since creation.
    public var eventsIngested: UInt64
    /// Start of the oldest bucket and end of the newest bucket held, if any data is held.
    public var timeRange: Range<Int64>?
    /// Partitions that end at or before this were dropped by retention.
    public var retentionHorizon: Int64?
    public var partitions: [PartitionInfo]
    public var segments: [SegmentSummary]
    public var metrics: [MetricInfo]
    /// Events, cells and approximate bytes in the in-memory head (not yet in a segment).
    public var headEvents: Int
    public var headCells: Int
    public var headBytes: Int
    public var rememberedBatchIDs: Int
    /// Units assigned to a variant, summed over experiments: the entries of the per-unit
    /// experiment state, which a writer keeps in memory and which, unlike the head, is not
    /// bounded by the memory budget (README, "Limits"). 0 for a read-only handle opened with
    /// `loadsExperimentState = false`.
    public var experimentAssignments: UInt64
    /// The approximate bytes of that state in this handle's memory; `nil` when the handle holds
    /// only the report aggregates (a read-only handle with nothing to replay).
    public var experimentStateBytes: Int?
}

public struct PartitionInfo: Sendable {
    public var start: Int64
    public var end: Int64
    public var segments: Int
    public var rows: UInt64
    public var events: UInt64
    /// Bytes on disk and before compression.
    public var bytes: UInt64
    public var rawBytes: UInt64
    public var compressionRatio: Double { bytes == 0 ? 0 : Double(rawBytes) / Double(bytes) }
}

public struct SegmentSummary: Sendable {
    public var id: UInt64
    public var offset: UInt64
    public var length: UInt64
    public var partitionStart: Int64
    public var bucketMilliseconds: Int64
    /// First and last bucket start of the rows.
    public var minTime: Int64
    public var maxTime: Int64
    public var rows: UInt64
    public var events: UInt64
    public var rawBytes: UInt64
    public var metrics: [String]
}

public struct MetricInfo: Sendable {
    public var name: String
    /// Distinct dimension combinations across segments and head.
    public var series: Int
    public var rows: UInt64
    public var events: UInt64
}

/// One record of the write-ahead log, for ``Tally/walRecords()``.
public struct WALRecordSummary: Sendable {
    public var offset: UInt64
    public var type: String
    public var hasBatchID: Bool
    public var ingestTime: Int64?
    public var events: Int
    public var payloadBytes: Int
}

/// One stored rollup cell, for ``Tally/forEachRow(metric:partition:_:)``.
public struct StoredRow: Sendable {
    /// `segment <id>` or `head`.
    public var source: String
    public var metric: String
    public var partitionStart: Int64
    public var bucket: Int64
    public var bucketMilliseconds: Int64
    /// Sorted by key.
    public var dimensions: [(key: String, value: String)]
    public var count: UInt64
    public var valueCount: UInt64
    public var sum: Double
    public var min: Double?
    public var max: Double?
    /// HyperLogLog estimate; 0 when no event had a unit.
    public var units: Double
}

/// The outcome of ``Tally/verify()``.
public struct VerifyReport: Sendable {
    public struct Problem: Sendable, CustomStringConvertible {
        public var path: String
        public var offset: UInt64?
        public var message: String

        public init(path: String, offset: UInt64?, message: String) {
            self.path = path
            self.offset = offset
            self.message = message
        }

        public var description: String { "\(path)" + (offset.map { " at offset \($0)" } ?? "") + ": \(message)" }
    }

    public var problems: [Problem] = []
    /// Observations that are not errors (e.g. a torn log tail that the next writer truncates).
    public var notes: [String] = []
    public var segmentsChecked = 0
    public var blocksChecked = 0
    public var rowsChecked = 0
    public var walRecordsChecked = 0
    public var isClean: Bool { problems.isEmpty }
}
