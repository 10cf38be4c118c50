#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Tally

/// An in-memory ``FileSystem`` that behaves like a disk behind a page cache, for crash tests
/// (LevelDB's `fault_injection_test`, SQLite's crash VFS).
///
/// What is durable when:
/// 1. A file's bytes: every write and truncation is visible to reads at once, and becomes durable
///    only when a `sync()` of the file (through any handle) succeeds. Until then it is *pending*.
/// 2. A file's name: create (`createIfMissing`, `truncate` of a new path), rename and remove change
///    the current namespace at once; they become durable only when `syncDirectory(containing:)`
///    syncs the directory holding the name. A file created and synced whose directory was never
///    synced vanishes at power loss, as on ext4.
/// 3. Directories are implied by the names of files, and are always durable; any directory path
///    exists. Paths are compared as strings (see `SimulatedPath`).
/// 4. ``powerLoss(_:seed:)`` gives the disk after a power cut: the durable namespace, each file's
///    durable bytes plus its pending changes as the policy decides. ``processCrash()`` gives the
///    state after `kill -9`: every change kept, nothing new made durable.
///
/// Locks: `lockExclusive()` locks a file (by identity, not name) for one handle; another handle
/// gets ``TallyError/Code/locked``. Closing or deinitialising the handle releases it.
///
/// Faults and crashes: see ``inject(_:)`` and ``crash(at:call:timing:)``.
///
/// Thread-safe: one lock guards all state, so every call is atomic with respect to every other.
/// The test-only accessors (`snapshotFiles`, `setContents`, `fileSize`, `isDurable`, `powerLoss`,
/// `processCrash`, `callCount`) work even after a crash.
public final class SimulatedFileSystem: FileSystem, Sendable {
    let state: Guarded<FileSystemState>

    /// An empty file system.
    public init() {
        state = Guarded(FileSystemState())
    }

    init(state: FileSystemState) {
        self.state = Guarded(state)
    }

    // MARK: FileSystem

    public func openFile(atPath path: String, mode: FileOpenMode) throws -> any FileHandle {
        let (handle, id) = try state.withLock { state in
            try state.perform(.open, paths: [path]) { state in
                let id: FileID
                switch mode {
                case .readOnly, .readWrite:
                    guard let existing = state.names[path] else {
                        throw TallyError(.notFound, "no such file", path: path, osErrno: ENOENT)
                    }
                    id = existing
                case .createIfMissing:
                    id = state.names[path] ?? state.createFile(named: path)
                case .truncate:
                    if let existing = state.names[path] {
                        // O_TRUNC keeps the file's identity; the truncation is pending like any other.
                        state.files[existing]!.record(.truncate(size: 0))
                        id = existing
                    } else {
                        id = state.createFile(named: path)
                    }
                }
                return (state.openHandle(on: id), id)
            }
        }
        return SimulatedFile(
            fileSystem: self, handle: handle, file: id, path: path, writable: mode != .readOnly)
    }

    /// True for a file of the current namespace and for any directory holding one. After a crash,
    /// always false.
    public func fileExists(atPath path: String) -> Bool {
        state.withLock { !$0.crashed && $0.exists(path) }
    }

    public func removeFile(atPath path: String) throws {
        try state.withLock { state in
            try state.perform(.remove, paths: [path]) { state in
                state.replaceName(path, with: nil)
            }
        }
    }

    /// Moves the name; open handles, locks and pending changes follow the file. Renaming a missing
    /// file throws `.io` with `ENOENT`. Directories cannot be renamed.
    public func renameFile(atPath source: String, to destination: String) throws {
        try state.withLock { state in
            try state.perform(.rename, paths: [source, destination]) { state in
                guard let id = state.names[source] else {
                    throw FileSystemState.error("rename", path: source, errno: ENOENT)
                }
                guard source != destination else { return }
                state.names[source] = nil
                state.replaceName(destination, with: id)
            }
        }
    }

    /// Like ``renameFile(atPath:to:)``, but throws `.io` with `EEXIST` and changes nothing when
    /// `destination` exists. Counted, faulted and crashed as a `rename`.
    public func moveFileIfAbsent(atPath source: String, to destination: String) throws {
        try state.withLock { state in
            try state.perform(.rename, paths: [source, destination]) { state in
                guard let id = state.names[source] else {
                    throw FileSystemState.error("link", path: source, errno: ENOENT)
                }
                guard state.names[destination] == nil else {
                    throw FileSystemState.error("link", path: destination, errno: EEXIST)
                }
                state.names[source] = nil
                state.replaceName(destination, with: id)
            }
        }
    }

    public func syncDirectory(containing path: String) throws {
        try state.withLock { state in
            try state.perform(.syncDirectory, paths: [path]) { state in
                state.syncDirectory(SimulatedPath.directory(of: path))
            }
        }
    }

    /// The entries of `directory`, sorted. A directory with no entries is empty, not missing.
    public func contentsOfDirectory(atPath directory: String) throws -> [String] {
        try state.withLock { state in
            try state.perform(.listDirectory, paths: [directory]) { state in
                state.entries(of: directory)
            }
        }
    }

    // MARK: Inspection and set-up for tests

    /// The current bytes of every file of the current namespace, by path (what reads see now,
    /// durable or not).
    public func snapshotFiles() -> [String: [UInt8]] {
        state.withLock { state in
            state.names.mapValues { state.files[$0]!.current }
        }
    }

    /// Replaces the file at `path` with `bytes`, durably: its contents and its name survive any
    /// power loss. Creates the file when missing. For set-up and corruption tests (flip a bit,
    /// cut the tail); open handles on the file see the new bytes.
    public func setContents(_ bytes: [UInt8], atPath path: String) {
        state.withLock { state in
            let id = state.names[path] ?? state.createFile(named: path)
            state.files[id] = FileState(durable: bytes)
            let previous = state.durableNames[path]
            state.durableNames[path] = id
            if let previous, previous != id { state.dropIfUnreferenced(previous) }
        }
    }

    /// The current size of the file at `path`, or `nil` when no such file exists now.
    public func fileSize(atPath path: String) -> Int? {
        state.withLock { state in
            state.names[path].map { state.files[$0]!.current.count }
        }
    }

    /// Whether a power loss now, under any policy, would leave the file at `path` exactly as reads
    /// see it: its name is durable and it has no pending or lost changes.
    public func isDurable(atPath path: String) -> Bool {
        state.withLock { state in
            guard let id = state.names[path], state.durableNames[path] == id else { return false }
            return state.files[id]!.isFullyDurable
        }
    }
}
