/// An open Tally database: one file plus its write-ahead log.
///
/// Concurrency rules:
/// 1. A `Tally` is `Sendable`: any number of threads may call ``ingest(_:batchID:)`` and
///    ``query(_:)`` at once. Ingests are serialised inside; concurrent `full`-durability
///    ingests share one sync (group commit).
/// 2. A query sees a consistent state: every batch whose ingest returned, or none of a batch.
/// 3. One handle per process may write a file; a second writer, in this or another process,
///    fails with ``TallyError/Code/locked`` naming the holder.
/// 4. Read-only handles (``Options/readOnly``) take no lock and see the state committed when
///    they were opened; they never block the writer.
/// 5. After ``close()`` every call fails with ``TallyError/Code/closed``.
public final class Tally: Sendable {
    let engine: Engine

    private init(engine: Engine) {
        self.engine = engine
    }

    /// Opens the database at `path`, creating it with `options` if it does not exist (and
    /// ``Options/createIfMissing`` is set). For an existing database the stored options come
    /// from the file; see ``storedOptions``.
    public static func open(at path: String, options: Options = Options()) throws -> Tally {
        Tally(engine: try Engine.open(path: path, options: options))
    }

    /// The options fixed in the file at creation (bucket, partition, retention, dedupe window,
    /// experiment names), with this handle's runtime options.
    public var storedOptions: Options { engine.effectiveOptions }

    public var path: String { engine.path }

    /// Validates and stores a batch atomically (PRODUCT.md rules 1–4). With a `batchID` seen
    /// within the dedupe window, nothing changes and the result says `duplicate`.
    /// - Throws: ``TallyError/Code/invalidBatch`` listing every bad event; nothing is stored.
    @discardableResult
    public func ingest(_ events: [Event], batchID: String? = nil) throws -> IngestResult {
        try engine.ingest(EventBatchBuilder.build(events), batchID: batchID)
    }

    public func query(_ query: Query) throws -> QueryResult {
        try engine.query(query)
    }

    /// Writes the in-memory rollups to segments and checkpoints the write-ahead log.
    public func flush() throws {
        try engine.flush()
    }

    /// Flushes, releases the lock and closes the files. Idempotent.
    public func close() throws {
        try engine.close()
    }

    deinit {
        try? engine.close()
    }
}

extension Tally {
    /// Options, sizes, partitions, segments and metrics. Reads every segment's series.
    public func info() throws -> DatabaseInfo { try engine.info() }

    /// Checks every checksum and structural invariant; never throws for damage it finds.
    public func verify() throws -> VerifyReport { try engine.verify() }

    /// The write-ahead log's records as they are on disk now, and how the log ends.
    public func walRecords() throws -> (records: [WALRecordSummary], ending: String) { try engine.walRecords() }

    /// Every stored row of `metric` (all metrics when `nil`) in the partition containing
    /// `partition` (all when `nil`), segments first, then the head.
    public func forEachRow(metric: String? = nil, partition: Int64? = nil, _ body: (StoredRow) throws -> Void) throws {
        try engine.forEachRow(metric: metric, partition: partition, body)
    }
}

extension Tally {
    /// The write-ahead log of the database at `databasePath` as it is on disk, without opening
    /// the database: works when the log is damaged (where opening would refuse) and beside a
    /// running writer.
    public static func walRecords(
        databasePath: String, fileSystem: any FileSystem = POSIXFileSystem()
    ) throws -> (records: [WALRecordSummary], ending: String) {
        try Engine.walRecords(walPath: WALFormat.path(forDatabase: databasePath), expectedSalt: nil, fileSystem: fileSystem)
    }
}
