/// What ``Tally/applyRetention(before:dryRun:)`` dropped, or would drop with `dryRun`.
///
/// Retention drops whole partitions: every partition that ends at or before the cutoff, both its
/// segments and any of its cells still in memory (format-spec.md, rules T1–T5).
public struct RetentionResult: Sendable, Equatable {
    /// The retention horizon after the call (or after it, for a dry run): partitions ending at or
    /// before it are gone and events older than it are dropped at ingest. `nil` when nothing was
    /// ever dropped. Always on a partition boundary, and it never moves back.
    public var horizon: Int64?
    /// Start of each partition dropped, ascending.
    public var partitions: [Int64]
    /// Segments removed from the catalog.
    public var segments: Int
    /// Rollup rows (cells) dropped, stored and in memory.
    public var rows: UInt64
    /// Events those rows counted.
    public var events: UInt64
    /// Bytes of the dropped segments: dead space in the file until the next compaction.
    public var bytes: UInt64
    /// True when nothing was changed (the call only measured).
    public var dryRun: Bool

    public init(
        horizon: Int64?, partitions: [Int64], segments: Int, rows: UInt64, events: UInt64, bytes: UInt64,
        dryRun: Bool
    ) {
        self.horizon = horizon
        self.partitions = partitions
        self.segments = segments
        self.rows = rows
        self.events = events
        self.bytes = bytes
        self.dryRun = dryRun
    }
}

extension Tally {
    /// Drops every partition that ends at or before `cutoff` (ms since the epoch): its segments
    /// leave the catalog and its in-memory cells are discarded, in one atomic, durable commit.
    /// Queries see the state before or after, never half of it. Events that arrive later for a
    /// dropped partition are dropped and counted in ``IngestResult/droppedAsExpired``.
    ///
    /// The horizon is `cutoff` rounded down to a partition boundary and never moves back: a cutoff
    /// at or below the current horizon drops nothing. The dropped bytes stay in the file as dead
    /// space until ``compact(options:)``. Experiment state, batch ids and
    /// ``DatabaseInfo/eventsIngested`` are not touched.
    ///
    /// - Parameter dryRun: only measure what would be dropped; works on a read-only handle.
    /// - Throws: ``TallyError/Code/readOnly`` (unless `dryRun`), ``TallyError/Code/io`` when the
    ///   commit fails (then nothing was dropped, or, if the handle reports
    ///   ``TallyError/Code/needsReopen`` afterwards, reopening shows either state).
    @discardableResult
    public func applyRetention(before cutoff: Int64, dryRun: Bool = false) throws -> RetentionResult {
        try engine.applyRetention(before: cutoff, dryRun: dryRun)
    }

    /// ``applyRetention(before:dryRun:)`` with the cutoff `keepMilliseconds` before now (by the
    /// handle's ``Options/clock``): keeps the partitions that end within that span.
    @discardableResult
    public func applyRetention(keeping keepMilliseconds: Int64, dryRun: Bool = false) throws -> RetentionResult {
        guard keepMilliseconds > 0 else { throw TallyError.invalid("the span to keep must be positive") }
        let (cutoff, overflow) = engine.clock.nowMilliseconds().subtractingReportingOverflow(keepMilliseconds)
        return try engine.applyRetention(before: overflow ? .min : cutoff, dryRun: dryRun)
    }
}
