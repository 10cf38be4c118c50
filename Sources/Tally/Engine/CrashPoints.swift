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
