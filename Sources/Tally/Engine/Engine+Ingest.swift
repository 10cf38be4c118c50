/// The write path: validate → log → fold into the head → wait for durability → maybe flush.
extension Engine {
    /// A batch validated and encoded for the log: the part of an ingest that reads no engine
    /// state, which an import does on its reading thread (see ``prepare(_:batchID:)``).
    struct PreparedBatch {
        var record: BatchRecord
        var payload: [UInt8]
    }

    func ingest(_ batch: EventBatch, batchID: String?) throws -> IngestResult {
        let (result, lsn) = try append(try prepare(batch, batchID: batchID))
        try waitUntilDurable(lsn)
        try flushIfNeeded()
        return result
    }

    /// Validates `batch` and encodes its log record. Safe from any thread: it reads only the
    /// options and the clock.
    /// - Throws: `invalidBatch` naming every bad event, `invalid` for a bad batch id.
    func prepare(_ batch: EventBatch, batchID: String?) throws -> PreparedBatch {
        let problems = Validator.problems(in: batch, limits: options.limits)
        if !problems.isEmpty {
            throw TallyError(
                .invalidBatch, "\(problems.count) problem(s) in the batch; nothing was stored", path: path,
                problems: problems)
        }
        if let batchID, batchID.utf8.isEmpty || batchID.utf8.count > Limits.maxBatchIDBytes {
            throw TallyError.invalid("a batch id must be 1…\(Limits.maxBatchIDBytes) bytes")
        }
        let record = BatchRecord(
            batchID: batchID.map(BatchIDHash.init), ingestTime: clock.nowMilliseconds(), events: batch)
        return PreparedBatch(record: record, payload: record.encode())
    }

    /// Logs and applies a prepared batch; returns its outcome and its LSN. The caller then
    /// waits until that LSN is durable (``waitUntilDurable(_:)``) before reporting the batch
    /// stored, and calls ``flushIfNeeded()``. `helperThread`: see ``apply(_:helperThread:)``.
    func append(_ prepared: PreparedBatch, helperThread: Bool = true) throws -> (IngestResult, UInt64) {
        let (record, payload, batch) = (prepared.record, prepared.payload, prepared.record.events)
        return try stateLock.withLock { () throws -> (IngestResult, UInt64) in
            try checkWritable()
            try applyAutomaticRetentionLocked()  // rule T4: the horizon this batch is applied under
            if let id = record.batchID, let seen = catalog.batchIDs[id],
               record.ingestTime - seen < header.dedupeWindowMilliseconds {
                return (IngestResult(accepted: 0, droppedAsExpired: 0, duplicate: true), appendedLSN)
            }
            if let metric = head.exceedsSeriesLimit(batch, limit: options.limits.maxSeriesPerMetric) {
                throw TallyError(
                    .limitExceeded,
                    "metric \"\(metric)\" would exceed \(options.limits.maxSeriesPerMetric) distinct dimension combinations; nothing was stored",
                    path: path)
            }
            if wal == nil { wal = try WALWriter.create(path: walPath, salt: superblock.walSalt, fileSystem: fileSystem) }
            try wal!.append(payload, type: .batch)
            let dropped = apply(record, helperThread: helperThread)
            appendedLSN += 1
            try crashPoint(.ingestAfterWALAppend)
            return (IngestResult(accepted: batch.count - dropped, droppedAsExpired: dropped, duplicate: false), appendedLSN)
        }
    }

    /// The state transition of one logged batch, shared by ingest and replay. Caller holds
    /// `stateLock` (or is the only user, during open). Returns the events dropped as expired.
    ///
    /// With `helperThread`, a batch of at least ``parallelApplyMinimum`` events updates the
    /// experiment state on a helper thread while this one folds it into the head: the two read
    /// only the batch and the horizon and write disjoint state, so the result is that of doing
    /// one after the other. An import passes false: its reading thread keeps the other core
    /// busy already, and the helper's allocations (in other malloc arenas) raised the 10 M
    /// import's peak RSS from 289–290 MB to 296–301 MB.
    @discardableResult
    func apply(_ record: BatchRecord, helperThread: Bool = true) -> Int {
        guard tracksExperiments else { return applyExceptExperiments(record) }
        let horizon = catalog.retentionHorizon
        guard helperThread && record.events.count >= Engine.parallelApplyMinimum else {
            experiments.apply(record.events, horizon: horizon)
            return applyExceptExperiments(record)
        }
        let helper = Deferred { [self] in experiments.apply(record.events, horizon: horizon) }
        defer { helper.wait() }
        return applyExceptExperiments(record)
    }

    /// Smaller batches update the experiment state on the calling thread, where handing the
    /// work to another thread and waiting for it would cost more than it saves.
    static let parallelApplyMinimum = 500

    /// ``apply(_:)`` without the experiment state: the head, the batch id and the event total.
    @discardableResult
    func applyExceptExperiments(_ record: BatchRecord) -> Int {
        let dropped = head.apply(record.events, horizon: catalog.retentionHorizon)
        if let id = record.batchID { catalog.batchIDs[id] = record.ingestTime }
        catalog.totalEventsIngested += UInt64(record.events.count - dropped)
        return dropped
    }
}
