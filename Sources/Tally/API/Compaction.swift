/// Re-bucket partitions older than an age to a coarser bucket during compaction.
public struct DownsampleRule: Sendable, Hashable {
    /// A partition qualifies when it ended at least this many milliseconds before now (by the
    /// handle's ``Options/clock``).
    public var olderThan: Int64
    /// The bucket its rows are merged into: at least the database bucket, at most (and dividing)
    /// the partition.
    public var bucket: Granularity

    public init(olderThan: Int64, bucket: Granularity) {
        self.olderThan = olderThan
        self.bucket = bucket
    }
}

/// How ``Tally/compact(options:)`` rewrites the file.
public struct CompactOptions: Sendable {
    /// Downsampling rules. A partition matched by several gets the coarsest bucket among them.
    /// Rows are never made finer: a partition already at a coarser bucket keeps it.
    public var downsample: [DownsampleRule]
    /// Called from the compacting thread, without any engine lock held, as work proceeds (for a
    /// CLI's progress line). It must not call ``Tally/compact(options:)`` or ``Tally/close()``.
    public var progress: (@Sendable (CompactionProgress) -> Void)?

    public init(downsample: [DownsampleRule] = [], progress: (@Sendable (CompactionProgress) -> Void)? = nil) {
        self.downsample = downsample
        self.progress = progress
    }

    /// Rules as `(olderThan: age in ms, bucket:)` pairs.
    public init(
        downsample: [(olderThan: Int64, bucket: Granularity)], progress: (@Sendable (CompactionProgress) -> Void)? = nil
    ) {
        self.init(downsample: downsample.map { DownsampleRule(olderThan: $0.olderThan, bucket: $0.bucket) },
                  progress: progress)
    }
}

/// A progress report from a running compaction.
public struct CompactionProgress: Sendable, Equatable {
    public enum Phase: String, Sendable {
        /// Merging the partitions present when compaction started (the long part; no lock held).
        case merging
        /// Copying segments flushed while merging (no lock held).
        case copying
        /// Flushing the head and swapping the file in (ingest waits for this short step).
        case committing
        /// The new file is the database.
        case finished
    }

    public var phase: Phase
    /// Partitions of the starting state merged or copied so far, and in all.
    public var partitionsDone: Int
    public var partitionsTotal: Int
    /// Bytes written to the new file so far.
    public var bytesWritten: UInt64
}

/// What ``Tally/compact(options:)`` did.
public struct CompactionResult: Sendable, Equatable {
    /// Size of the database file just before the swap, and of the new one.
    public var bytesBefore: UInt64
    public var bytesAfter: UInt64
    /// Segments in the catalog just before the swap, and after.
    public var segmentsBefore: Int
    public var segmentsAfter: Int
    /// Partitions in the new file.
    public var partitions: Int
    /// Partitions whose segments were merged (several into one) or re-bucketed; the others were
    /// copied byte for byte.
    public var partitionsRewritten: Int
    /// Partitions re-bucketed to a coarser bucket by a ``DownsampleRule``.
    public var partitionsDownsampled: Int
    /// Rollup rows before and after (fewer after merging and downsampling).
    public var rowsBefore: UInt64
    public var rowsAfter: UInt64
}

extension Tally {
    /// Rewrites the database into `<db>.compacting` beside it: every partition's segments merged
    /// into one (optionally downsampled), dead space gone, the catalog rebuilt; then syncs it,
    /// renames it over the database and syncs the directory (format-spec.md, rules K1–K9).
    ///
    /// Ingest and queries keep working while it runs: the merge reads a snapshot of the segment
    /// list without holding the engine's lock; only the final step (flush the head, copy the
    /// segments flushed meanwhile, write the catalog, sync, rename) holds it. Queries that started
    /// before the swap finish on the old file. Answers are unchanged, except that rows of
    /// downsampled partitions come at their coarser bucket (``QueryResult/coarsestBucketMilliseconds``).
    ///
    /// A crash at any point leaves either the old or the new file as the database; the next
    /// writer removes the leftover temporary. One compaction runs at a time; a second call waits.
    ///
    /// - Throws: ``TallyError/Code/invalidArgument`` for a bad downsampling rule;
    ///   ``TallyError/Code/io`` when writing the new file fails (then the old file is still the
    ///   database and the handle keeps working), or when the rename or directory sync fails (then
    ///   the handle reports ``TallyError/Code/needsReopen``; reopening finds either file, both
    ///   complete).
    @discardableResult
    public func compact(options: CompactOptions = CompactOptions()) throws -> CompactionResult {
        try engine.compact(options)
    }
}
