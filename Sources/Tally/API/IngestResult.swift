/// What ``Tally/ingest(_:batchID:)`` did with a batch.
public struct IngestResult: Sendable, Equatable {
    /// Events stored.
    public var accepted: Int
    /// Events older than the retention horizon, dropped (not stored, not an error).
    public var droppedAsExpired: Int
    /// True when the batch id was seen before within the dedupe window: nothing was changed.
    public var duplicate: Bool

    public init(accepted: Int, droppedAsExpired: Int, duplicate: Bool) {
        self.accepted = accepted
        self.droppedAsExpired = droppedAsExpired
        self.duplicate = duplicate
    }
}
