/// The engine behind a ``Tally`` handle.
///
/// Locking (never hold `syncLock` while taking `stateLock`):
/// - `stateLock` guards every `var` below marked "state": the file handle, superblock, catalog,
///   head, write-ahead log writer, LSN counter, failure and closed flags. Ingest holds it while
///   appending to the log and folding into the head; flush holds it for the whole flush;
///   queries hold it while they read the head and copy the segment list, then scan segments
///   without it (segments are immutable and the file handle stays valid while referenced).
/// - `syncLock` guards the group-commit state (`durableLSN`, `syncInProgress`, `syncFailure`).
/// - A holder of `stateLock` may hand part of its work to a helper thread and wait for it
///   before releasing the lock: `experiments` in ``apply(_:)`` and replay (the holder then
///   touches everything but `experiments`), and a copy of `experiments` encoded during a flush.
final class Engine: @unchecked Sendable {
    let path: String
    let walPath: String
    let options: Options
    let header: FileHeader
    let fileSystem: any FileSystem
    let clock: any WallClock
    let isReadOnly: Bool

    let stateLock = Lock()
    /// state: the database file. Replaced only by compaction.
    var file: any FileHandle
    /// state
    var superblock: Superblock
    /// state
    var catalog: Catalog
    /// state
    var head: Head
    /// state: experiment attribution (persisted through catalog experiment blocks).
    var experiments: ExperimentState
    /// state: `nil` while there is no unflushed data (the log file does not exist).
    var wal: WALWriter?
    /// state: batches appended to the log since open (the log sequence number).
    var appendedLSN: UInt64 = 0
    /// state: the end of the newest partition that had closed when the head was last flushed
    /// (restored at open from the segments; `Int64.min` while there are none). A partition
    /// ending at or before it does not trigger a flush again when late events for it arrive
    /// (``flushIfNeeded()``).
    var closedThrough = Int64.min
    /// state: set when a write or sync failed in a way that leaves the handle unusable.
    var failure: TallyError?
    /// state
    var isClosed = false
    /// Decoded segment footers and dictionaries by segment id (guarded by its own lock).
    let segmentCache = Locked<[UInt64: CachedSegment]>([:])
    /// Decoded row groups (guarded by its own lock).
    let columnCache: Locked<ColumnCache>
    /// Held for a whole compaction, so that one runs at a time. Taken before `stateLock`, never
    /// while holding it.
    let compactionLock = Lock()

    let syncLock = Lock()
    let syncCondition = Condition()
    /// sync: every batch with LSN ≤ this is durable.
    var durableLSN: UInt64 = 0
    /// sync
    var syncInProgress = false
    /// sync: a background sync (durability `normal`) is scheduled.
    var syncScheduled = false

    init(
        path: String, options: Options, header: FileHeader, file: any FileHandle, superblock: Superblock,
        catalog: Catalog, readOnly: Bool
    ) {
        self.path = path
        self.walPath = WALFormat.path(forDatabase: path)
        self.options = options
        self.columnCache = Locked(ColumnCache(budgetBytes: max(0, options.queryCacheBytes)))
        self.header = header
        self.fileSystem = options.fileSystem
        self.clock = options.clock
        self.isReadOnly = readOnly
        self.file = file
        self.superblock = superblock
        self.catalog = catalog
        self.head = Head(bucketMilliseconds: header.bucketMilliseconds)
        self.experiments = ExperimentState(
            exposureMetric: header.exposureMetric, experimentDimension: header.experimentDimension,
            variantDimension: header.variantDimension)
    }

    var bucketMilliseconds: Int64 { header.bucketMilliseconds }
    var partitionMilliseconds: Int64 { header.partitionMilliseconds }

    /// The handle's options with the stored ones replaced by what the file says.
    var effectiveOptions: Options {
        var result = options
        result.bucket = Granularity(milliseconds: header.bucketMilliseconds)!
        result.partition = Granularity(milliseconds: header.partitionMilliseconds)!
        result.dedupeWindowMilliseconds = header.dedupeWindowMilliseconds
        result.retentionMilliseconds = header.retentionMilliseconds == 0 ? nil : header.retentionMilliseconds
        result.exposureMetric = header.exposureMetric
        result.experimentDimension = header.experimentDimension
        result.variantDimension = header.variantDimension
        return result
    }

    /// Throws unless the handle may write. Caller holds `stateLock`.
    func checkWritable() throws {
        if isClosed { throw TallyError(.closed, "the database is closed", path: path) }
        if isReadOnly { throw TallyError(.readOnly, "the database was opened read-only", path: path) }
        if let failure {
            throw TallyError(
                .needsReopen, "an earlier write failed (\(failure.message)); reopen the database to recover",
                path: path, osErrno: failure.osErrno)
        }
    }

    /// Throws if the handle is closed. Caller holds `stateLock`.
    func checkOpen() throws {
        if isClosed { throw TallyError(.closed, "the database is closed", path: path) }
    }

    func crashPoint(_ point: CrashPoint) throws {
        try options.crashHook?(point)
    }

    /// Records a failure after which the handle refuses writes. Caller holds `stateLock`.
    func poison(_ error: Error) -> TallyError {
        let tallyError = error as? TallyError ?? TallyError(.io, "\(error)", path: path)
        if failure == nil {
            failure = tallyError
            options.logger.error("a write failed; the handle refuses writes until reopened", metadata: ["error": "\(tallyError)"])
        }
        return tallyError
    }

    func close() throws {
        var flushError: Error?
        stateLock.withLock {
            guard !isClosed else { return }
            if !isReadOnly && failure == nil {
                do { try flushLocked() } catch { flushError = error }
            }
            isClosed = true
            wal = nil
            file.close()
        }
        syncLock.withLock { syncCondition.broadcast() }
        if let flushError { throw flushError }
    }
}

/// What queries decoded of a segment's footer and, once one needed it, its dictionary: kept to
/// avoid re-reading them per query. Queries answered from totals decode only the summary; the
/// first that needs row groups decodes the whole footer.
struct CachedSegment {
    var summary: SegmentFooter.Summary
    var footer: SegmentFooter?
    var names: Names?

    struct Names {
        var dictionary: [String]
        /// Dictionary position of each string.
        var index: [String: Int32]
    }
}
