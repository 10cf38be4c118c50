import Dispatch

/// Replay of the write-ahead log's batches on two threads (rule R5).
extension Engine {
    /// What the decoding thread hands over: a batch, or where the log stops decoding.
    private enum DecodedRecord {
        case batch(BatchRecord)
        case undecodable(offset: UInt64)
    }

    /// Batches decoded ahead of the head: enough to keep both threads busy, few enough that the
    /// decoded copies stay a small part of the replay's memory.
    static let replayQueueCapacity = 4

    /// Applies `records` in log order, as ``apply(_:)`` would one by one. A helper thread decodes
    /// each record and folds it into the experiment state; this thread folds the decoded batches
    /// into the head and the catalog. The two parts are independent given the batch and the
    /// retention horizon (which replay does not move), so the result is the same as applying each
    /// batch whole. Caller is the only user of the engine; the helper touches only
    /// `experiments`, this thread everything else, and the helper has finished when this returns.
    /// - Throws: corruption at the first record that is not a replayable batch.
    func replay(_ records: [WALScan.Record]) throws {
        let horizon = catalog.retentionHorizon
        let tracksExperiments = tracksExperiments
        let decoded = BoundedQueue<DecodedRecord>(capacity: Engine.replayQueueCapacity)
        let helperDone = DispatchGroup()
        DispatchQueue.global().async(group: helperDone) { [self] in
            defer { decoded.close() }
            for record in records {
                guard record.type == .batch, let batch = BatchRecord.decode(record.payload),
                      Validator.isReplayable(batch.events)
                else {
                    _ = decoded.put(.undecodable(offset: record.offset))
                    return
                }
                if tracksExperiments { experiments.apply(batch.events, horizon: horizon) }
                guard decoded.put(.batch(batch)) else { return }
            }
        }
        defer {
            decoded.cancel()
            helperDone.wait()
        }
        while let item = decoded.take() {
            switch item {
            case .batch(let record):
                applyExceptExperiments(record)
            case .undecodable(let offset):
                throw TallyError.corruption("write-ahead log record does not decode", path: walPath, offset: offset)
            }
        }
    }
}
