/// Flush and checkpoint: the head becomes segments, committed through the superblock; then the
/// write-ahead log is retired (format-spec.md, "Commit protocol", steps C1–C5).
///
/// - C1. Append the new segments and the new catalog at the committed end.
/// - C2. Sync the file.
/// - C3. Write the superblock with the next generation into the older slot, with a fresh
///   `walSalt`.
/// - C4. Sync the file. The flush is now committed.
/// - C5. Delete the old log (its salt no longer matches, so a crash before this is harmless).
extension Engine {
    func flush() throws {
        try stateLock.withLock {
            try checkWritable()
            try flushLocked()
        }
    }

    /// Flushes when the head outgrew its budget, the log its budget, or a partition closed.
    func flushIfNeeded() throws {
        try stateLock.withLock {
            guard !isReadOnly, failure == nil, !isClosed, needsFlush else { return }
            try flushLocked()
        }
    }

    /// Caller holds `stateLock`.
    private var needsFlush: Bool {
        if head.isEmpty { return false }
        if head.totalBytes > options.memoryBudgetBytes { return true }
        if let wal, wal.end > UInt64(options.walBudgetBytes) { return true }
        // A partition closes when data time has moved a grace period past its end. Only a
        // partition that closes for the first time flushes: late events for one that closed
        // before wait in the head for the next (or for a budget), else every late batch — a
        // second writer's a little older one, a client that was offline — would flush a segment
        // of its own.
        let closedBoundary = closedPartitionBoundary
        return closedBoundary > closedThrough && head.oldestBucket < closedBoundary
    }

    /// Events may arrive this long after their partition ends before it is flushed.
    static let lateArrivalGrace: Int64 = 2 * 3_600_000

    /// Sets ``closedThrough`` as the flushes that wrote the segments left it (the newest event
    /// in any segment, less the grace), so that a reopened handle does not flush late events
    /// for a partition that closed before either. Called once at open, before replay.
    func restoreClosedThrough() {
        guard let newest = catalog.segments.lazy.map(\.maxTime).max() else { return }
        closedThrough = TimeGrid.floor(newest - Engine.lateArrivalGrace, width: partitionMilliseconds)
    }

    /// The end of the newest partition that data time has closed: every partition ending at or
    /// before it is closed. Caller holds `stateLock`; the head is not empty.
    private var closedPartitionBoundary: Int64 {
        TimeGrid.floor(head.newestTimestamp - Engine.lateArrivalGrace, width: partitionMilliseconds)
    }

    /// Writes the head and commits a new catalog (C1–C5). Caller holds `stateLock`.
    func flushLocked() throws {
        guard !head.isEmpty || wal != nil else { return }
        var newCatalog = catalog
        var offset = superblock.committedEnd
        // Rule X4: a base when there is none or instead of a 65th block; otherwise a delta of
        // the assignments changed since the last flush (a unit is active in few flushes, so
        // the deltas add up to about the state itself). Compaction writes a single base.
        let fullExperimentBlock = newCatalog.experimentBlocks.isEmpty || newCatalog.experimentBlocks.count >= 64
        // The experiment block is encoded and compressed on another thread meanwhile.
        let experimentBlock = experiments.isDirty
            ? Deferred { [experiments] in Block.encode(experiments.encode(full: fullExperimentBlock), kind: .experimentState) }
            : nil
        head.normalizeSketches()
        // Rule T2: cells of partitions at or below the retention horizon are never written.
        for content in head.segmentContents(partitionMilliseconds: partitionMilliseconds)
        where content.partitionStart + partitionMilliseconds > newCatalog.retentionHorizon {
            let encoded = SegmentWriter.encode(content)
            try file.write(encoded.bytes, at: offset)
            newCatalog.segments.append(SegmentInfo(
                id: newCatalog.nextSegmentID, offset: offset, length: UInt64(encoded.bytes.count),
                footerOffset: offset + UInt64(encoded.footerOffset),
                footerLength: UInt64(encoded.bytes.count - encoded.footerOffset),
                partitionStart: content.partitionStart, bucketMilliseconds: content.bucketMilliseconds,
                minTime: encoded.footer.minTime, maxTime: encoded.footer.maxTime,
                rowCount: UInt64(content.rowCount), eventCount: content.eventCount, rawBytes: UInt64(encoded.rawBytes),
                metrics: content.metrics.map(\.name)))
            newCatalog.nextSegmentID += 1
            offset += UInt64(encoded.bytes.count)
        }
        if let experimentBlock {
            let block = experimentBlock.wait()
            try file.write(block, at: offset)
            let location = BlockLocation(offset: offset, length: UInt64(block.count))
            newCatalog.experimentBlocks = fullExperimentBlock ? [location] : newCatalog.experimentBlocks + [location]
            offset += UInt64(block.count)
        }
        let now = clock.nowMilliseconds()
        newCatalog.batchIDs = newCatalog.batchIDs.filter { now - $0.value < header.dedupeWindowMilliseconds }
        try commit(newCatalog, appendingAt: offset)
        options.logger.debug("flushed the head", metadata: ["events": "\(head.eventCount)", "end": "\(offset)"])
        if !head.isEmpty { closedThrough = max(closedThrough, closedPartitionBoundary) }
        head = Head(bucketMilliseconds: bucketMilliseconds)
        experiments.markPersisted()
        if wal != nil {
            // The old log's handle is not closed here: a group-commit sync may be using it
            // without the state lock. It closes when its last user releases it.
            wal = nil
            try crashPoint(.checkpointBeforeWALRemoval)
            try fileSystem.removeFile(atPath: walPath)
        }
        markAllDurable(upTo: appendedLSN)
    }

    /// Appends `newCatalog` at `offset` (after any data the caller wrote there), syncs, and
    /// publishes it through the superblock (C1–C4). On success the in-memory catalog and
    /// superblock are the new ones. A failure before the superblock write leaves the committed
    /// state unchanged; a failed sync or superblock write poisons the handle.
    func commit(_ newCatalog: Catalog, appendingAt offset: UInt64) throws {
        let catalogBlock = Block.encode(newCatalog.encode(), kind: .catalog)
        try file.write(catalogBlock, at: offset)
        try crashPoint(.flushDataWritten)
        do { try file.sync() } catch { throw poison(error) }
        try crashPoint(.flushDataSynced)
        let next = Superblock(
            generation: superblock.generation + 1, committedEnd: offset + UInt64(catalogBlock.count),
            catalogOffset: offset, catalogLength: UInt64(catalogBlock.count),
            walSalt: UInt64.random(in: 1...UInt64.max))
        do {
            try file.write(next.encode(), at: Superblock.slotOffsets[Superblock.slot(for: next.generation)])
            try crashPoint(.flushSuperblockWritten)
            try file.sync()
        } catch {
            throw poison(error)
        }
        superblock = next
        catalog = newCatalog
    }
}
