/// Retention: dropping whole partitions through a catalog commit (format-spec.md, rules T1–T5).
///
/// - T1. The horizon is the cutoff rounded down to a partition boundary; it only moves forward.
///   Every partition ending at or before it is dropped: its segments leave the catalog.
/// - T2. The commit is a flush: the head's cells in dropped partitions are not written (a flush
///   never writes a partition at or below the horizon), the rest of the head is, and the log is
///   retired (C1–C5). So no record of the old log can replay a dropped cell, and every record of
///   a live log was applied under the committed horizon, which replay applies again (R5).
/// - T3. Events older than the horizon are dropped at ingest and on replay, and counted.
/// - T4. With the stored `retention` option, the horizon `now − retention` (rounded down) is
///   applied when a writer opens and before each ingest, whenever it has moved past the
///   committed one.
/// - T5. Retention touches only the segment list and the horizon: batch ids, totals and any
///   other catalog state are kept.
///
/// Locking: everything runs under `stateLock`, like a flush; queries see before or after.
extension Engine {
    func applyRetention(before cutoff: Int64, dryRun: Bool) throws -> RetentionResult {
        try stateLock.withLock {
            if dryRun { try checkOpen() } else { try checkWritable() }
            return try applyRetentionLocked(horizon: partitionFloor(cutoff), dryRun: dryRun)
        }
    }

    /// Applies the stored `retention` option if its horizon moved (rule T4).
    func applyAutomaticRetention() throws {
        try stateLock.withLock {
            guard !isReadOnly, failure == nil, !isClosed else { return }
            try applyAutomaticRetentionLocked()
        }
    }

    /// Rule T4. Caller holds `stateLock` and checked the handle is writable.
    func applyAutomaticRetentionLocked() throws {
        guard header.retentionMilliseconds > 0, !isReadOnly else { return }
        let (cutoff, overflow) = clock.nowMilliseconds().subtractingReportingOverflow(header.retentionMilliseconds)
        guard !overflow else { return }
        let horizon = partitionFloor(cutoff)
        guard horizon > catalog.retentionHorizon else { return }
        try applyRetentionLocked(horizon: horizon, dryRun: false)
    }

    /// The partition boundary at or below `time`; clamped far from the `Int64` limits so that
    /// any caller-supplied cutoff is safe.
    func partitionFloor(_ time: Int64) -> Int64 {
        let bound: Int64 = 1 << 62
        return TimeGrid.floor(min(max(time, -bound), bound), width: partitionMilliseconds)
    }

    /// Drops the partitions ending at or before `requested` (rules T1, T2, T5). Caller holds
    /// `stateLock`. On failure before the commit, the state is unchanged.
    @discardableResult
    func applyRetentionLocked(horizon requested: Int64, dryRun: Bool) throws -> RetentionResult {
        let horizon = max(requested, catalog.retentionHorizon)
        let dropped = catalog.segments.filter { $0.partitionStart + partitionMilliseconds <= horizon }
        var partitions = Set(dropped.map(\.partitionStart))
        var rows = dropped.reduce(0) { $0 + $1.rowCount }
        var events = dropped.reduce(0) { $0 + $1.eventCount }
        for rollup in head.metrics.values {
            for (index, key) in rollup.cellKeys.enumerated() where key.bucket < horizon {
                partitions.insert(TimeGrid.floor(key.bucket, width: partitionMilliseconds))
                rows += 1
                events += rollup.cells[index].count
            }
        }
        let result = RetentionResult(
            horizon: horizon == .min ? nil : horizon, partitions: partitions.sorted(), segments: dropped.count,
            rows: rows, events: events, bytes: dropped.reduce(0) { $0 + $1.length }, dryRun: dryRun)
        guard !dryRun, horizon > catalog.retentionHorizon else { return result }

        let saved = catalog
        let generation = superblock.generation
        let droppedIDs = Set(dropped.map(\.id))
        catalog.segments.removeAll { droppedIDs.contains($0.id) }
        catalog.retentionHorizon = horizon
        do {
            try crashPoint(.retentionPrepared)
            if head.isEmpty && wal == nil {
                try commit(catalog, appendingAt: superblock.committedEnd)
            } else {
                try flushLocked()  // skips the head's partitions at or below the horizon (T2)
            }
        } catch {
            // Not committed: put the catalog back (the head is replaced only by a commit).
            if superblock.generation == generation { catalog = saved }
            throw error
        }
        segmentCache.withLock { cache in
            for id in droppedIDs { cache[id] = nil }
        }
        let live = Set(catalog.segments.map(\.id))
        columnCache.withLock { $0.keepOnly(segments: live) }
        try crashPoint(.retentionCommitted)
        return result
    }
}
