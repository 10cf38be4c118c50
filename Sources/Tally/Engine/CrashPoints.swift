/// Named places in flush, checkpoint, retention and compaction where a test can stop the
/// engine as if the process died or the power failed (STYLE.md habit 4).
///
/// A hook installed through `Options.crashHook` is called at each point; throwing from it
/// aborts the operation there. Tests pair it with `SimulatedFileSystem.crashNow()` so that the
/// file system refuses every later call, then reopen and check what survived.
enum CrashPoint: String, CaseIterable, Sendable {
    /// Segments and the new catalog are written but not synced.
    case flushDataWritten = "flush.data-written"
    /// Segments and catalog are synced; the superblock is not yet written.
    case flushDataSynced = "flush.data-synced"
    /// The new superblock is written but not synced.
    case flushSuperblockWritten = "flush.superblock-written"
    /// The flush is committed; the old write-ahead log is not yet removed.
    case checkpointBeforeWALRemoval = "checkpoint.before-wal-removal"
    /// A batch is in the write-ahead log (unsynced) and in the head.
    case ingestAfterWALAppend = "ingest.after-wal-append"

    // MARK: Retention (format-spec.md, rules T1–T5). Its commit also passes the flush points.

    /// The new catalog (partitions dropped, horizon raised) is prepared in memory; nothing written.
    case retentionPrepared = "retention.prepared"
    /// The retention commit is durable and the log retired.
    case retentionCommitted = "retention.committed"

    // MARK: Compaction (format-spec.md, rules K1–K9)

    /// `<db>.compacting` is created and holds the header; nothing synced.
    case compactTemporaryCreated = "compact.temporary-created"
    /// The merged partitions are written to the temporary, not synced.
    case compactPartitionsWritten = "compact.partitions-written"
    /// The temporary's segments are synced; the final step (under the state lock) has not begun.
    case compactDataSynced = "compact.data-synced"
    /// Final step: the head was flushed into the old file (committed there); the temporary lacks
    /// the segments written since the merge, its catalog and superblock.
    case compactHeadFlushed = "compact.head-flushed"
    /// The temporary holds every segment, its catalog and its superblock, not yet synced.
    case compactCatalogWritten = "compact.catalog-written"
    /// The temporary is complete and synced; not yet renamed.
    case compactTemporarySynced = "compact.temporary-synced"
    /// The temporary is renamed over the database; the directory is not synced.
    case compactRenamed = "compact.renamed"
    /// The directory is synced: the new file is the database. The engine still holds the old handle.
    case compactDirectorySynced = "compact.directory-synced"
}

typealias CrashHook = @Sendable (CrashPoint) throws -> Void

extension Options {
    /// Test-only: called at every ``CrashPoint``.
    var crashHook: CrashHook? {
        get { _crashHook.value }
        set { _crashHook = CrashHookBox(value: newValue) }
    }
}

/// Stores the hook inside ``Options`` without widening its public surface.
struct CrashHookBox: Sendable {
    var value: CrashHook?
}
