/// Every file operation of the engine goes through this protocol (LevelDB's `Env`, narrowed).
///
/// The engine uses ``POSIXFileSystem``. Tests use `SimulatedFileSystem` (module `TallyTesting`),
/// which keeps unsynced writes in memory so a "power loss" can drop or tear them, and which can
/// fail the N-th call with `EIO` or `ENOSPC`.
///
/// Contract for implementations: all methods may be called from any thread; errors are
/// ``TallyError`` with code ``TallyError/Code/io`` (or ``TallyError/Code/locked``,
/// ``TallyError/Code/notFound``) and the `errno` when there is one.
public protocol FileSystem: Sendable {
    /// Opens a file. See ``FileOpenMode`` for what happens when it exists or not.
    func openFile(atPath path: String, mode: FileOpenMode) throws -> any FileHandle
    func fileExists(atPath path: String) -> Bool
    /// Removes a file; removing a file that does not exist is not an error.
    func removeFile(atPath path: String) throws
    /// Atomically replaces `destination` with `source` (POSIX `rename`).
    func renameFile(atPath source: String, to destination: String) throws
    /// Atomically gives the file at `source` the name `destination` only if no file has that
    /// name, and removes the name `source` (POSIX `link` then `unlink`). Throws ``TallyError/Code/io``
    /// with `EEXIST`, changing nothing, when `destination` exists. Creating a database publishes
    /// it this way, so that two processes creating it at once never replace each other's file.
    func moveFileIfAbsent(atPath source: String, to destination: String) throws
    /// Makes the directory entries of the directory holding `path` durable (`fsync` on the directory).
    func syncDirectory(containing path: String) throws
    /// The names (not paths) of the entries of `directory`.
    func contentsOfDirectory(atPath directory: String) throws -> [String]
}

public enum FileOpenMode: Sendable {
    /// Open an existing file for reading; ``TallyError/Code/notFound`` if it does not exist.
    case readOnly
    /// Open an existing file for reading and writing; ``TallyError/Code/notFound`` if it does not exist.
    case readWrite
    /// Open for reading and writing, creating an empty file if it does not exist.
    case createIfMissing
    /// Create a new empty file, replacing any existing one (`O_TRUNC`).
    case truncate
}

/// An open file. Positions are explicit (`pread`/`pwrite`): there is no file cursor, so one handle
/// may serve several threads. The file is closed when the handle is closed or deinitialised.
public protocol FileHandle: AnyObject, Sendable {
    var path: String { get }
    /// Reads up to `count` bytes at `offset`; returns fewer only at the end of the file.
    func read(at offset: UInt64, count: Int) throws -> [UInt8]
    /// Writes all of `bytes` at `offset`, extending the file if needed. Not durable until ``sync()``.
    func write(_ bytes: [UInt8], at offset: UInt64) throws
    func size() throws -> UInt64
    /// Sets the file's size; not durable until ``sync()``.
    func truncate(to size: UInt64) throws
    /// Makes every write so far durable (`fdatasync`). After a failed sync the state of the
    /// file's unsynced writes is unknown: callers must not retry as if it had succeeded.
    func sync() throws
    /// Takes an exclusive advisory lock without waiting, held until the handle is closed.
    /// Throws ``TallyError/Code/locked`` naming the holder when another handle holds it.
    func lockExclusive() throws
    func close()
}

extension FileSystem {
    /// For file systems written before ``moveFileIfAbsent(atPath:to:)`` existed: NOT atomic (a
    /// check, then a rename), so two processes creating one database at once may both succeed.
    public func moveFileIfAbsent(atPath source: String, to destination: String) throws {
        if fileExists(atPath: destination) {
            throw TallyError(.io, "rename refused: the destination exists", path: destination, osErrno: 17)
        }
        try renameFile(atPath: source, to: destination)
    }
}

extension FileHandle {
    /// Reads exactly `count` bytes at `offset`, or returns `nil` when the file ends first.
    func readExactly(at offset: UInt64, count: Int) throws -> [UInt8]? {
        let bytes = try read(at: offset, count: count)
        return bytes.count == count ? bytes : nil
    }
}

/// Wall-clock time for the engine (dedupe window, retention, partition closing).
/// Tests substitute a manual clock.
public protocol WallClock: Sendable {
    /// Milliseconds since the Unix epoch, UTC.
    func nowMilliseconds() -> Int64
}
