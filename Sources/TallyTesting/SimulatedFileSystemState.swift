#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Tally

/// Everything a ``SimulatedFileSystem`` knows, guarded as one value by its lock.
///
/// The namespace has two versions, as a directory has on disk: `names` is what lookups see now,
/// `durableNames` is what a power loss leaves. Create, rename and remove change `names`;
/// `syncDirectory` copies one directory's entries of `names` into `durableNames`.
/// A file's state lives as long as a name (current or durable) or an open handle refers to it.
struct FileSystemState: Sendable {
    var files: [FileID: FileState] = [:]
    var names: [String: FileID] = [:]
    var durableNames: [String: FileID] = [:]

    /// Open handles (by handle number) and the file each one holds.
    var openHandles: [Int: FileID] = [:]
    /// The handle holding each file's exclusive lock.
    var lockHolders: [FileID: Int] = [:]
    var nextFileID = 0
    var nextHandleID = 0

    var callCounts: [SimulatedFileSystem.Operation: Int] = [:]
    var faults: [ArmedFault] = []
    var crash: ArmedCrash?
    /// Set when a crash triggers: every later engine-facing call throws and changes nothing.
    var crashed = false

    // MARK: Namespace

    /// Creates an empty file named `path` in the current namespace only.
    mutating func createFile(named path: String) -> FileID {
        let id = FileID(raw: nextFileID)
        nextFileID += 1
        files[id] = FileState()
        replaceName(path, with: id)
        return id
    }

    /// Points `path` at `id` in the current namespace (`nil` unlinks it).
    mutating func replaceName(_ path: String, with id: FileID?) {
        let previous = names[path]
        names[path] = id
        if let previous, previous != id { dropIfUnreferenced(previous) }
    }

    /// Copies the current entries of `directory` into the durable namespace, dropping the durable
    /// entries that no longer exist.
    mutating func syncDirectory(_ directory: String) {
        var dropped: [FileID] = []
        for (name, id) in durableNames where SimulatedPath.directory(of: name) == directory {
            if names[name] != id {
                durableNames[name] = nil
                dropped.append(id)
            }
        }
        for (name, id) in names where SimulatedPath.directory(of: name) == directory {
            durableNames[name] = id
        }
        for id in dropped { dropIfUnreferenced(id) }
    }

    /// Forgets a file nothing refers to any more (no current or durable name, no open handle).
    mutating func dropIfUnreferenced(_ id: FileID) {
        guard files[id] != nil,
              !names.values.contains(id),
              !durableNames.values.contains(id),
              !openHandles.values.contains(id)
        else { return }
        files[id] = nil
        lockHolders[id] = nil
    }

    /// Whether `path` names a file or an implied directory of the current namespace.
    func exists(_ path: String) -> Bool {
        if names[path] != nil { return true }
        let directory = SimulatedPath.normalized(directory: path)
        if directory == "." || directory == "/" { return true }
        return names.keys.contains { SimulatedPath.relative($0, to: directory).map { !$0.isEmpty } ?? false }
    }

    /// The entries of `directory` in the current namespace: files and implied subdirectories.
    func entries(of directory: String) -> [String] {
        let directory = SimulatedPath.normalized(directory: directory)
        return Set(names.keys.compactMap { SimulatedPath.entry(of: $0, in: directory) }).sorted()
    }

    // MARK: Handles

    mutating func openHandle(on id: FileID) -> Int {
        let handle = nextHandleID
        nextHandleID += 1
        openHandles[handle] = id
        return handle
    }

    /// Closes `handle` and releases its lock. Closing twice does nothing.
    mutating func closeHandle(_ handle: Int) {
        guard let id = openHandles.removeValue(forKey: handle) else { return }
        if lockHolders[id] == handle { lockHolders[id] = nil }
        dropIfUnreferenced(id)
    }

    /// A state that keeps files and names but no handles, locks, faults, counts or crash: what a
    /// restarted process finds.
    func restarted() -> FileSystemState {
        var state = FileSystemState()
        state.files = files
        state.names = names
        state.durableNames = durableNames
        state.nextFileID = nextFileID
        for id in files.keys { state.dropIfUnreferenced(id) }
        return state
    }
}

// MARK: Errors

extension FileSystemState {
    static let crashError = TallyError(.io, "simulated crash", osErrno: EIO)

    static func error(_ operation: String, path: String?, errno code: Int32) -> TallyError {
        TallyError(.io, "\(operation) failed: \(String(cString: strerror(code)))", path: path, osErrno: code)
    }

    /// Offsets and lengths are capped so a wild offset from the engine fails fast with `EFBIG`
    /// instead of allocating the gap in memory.
    static let maximumFileSize = 1 << 32

    static func checkedEnd(offset: UInt64, count: Int, path: String, operation: String) throws -> Int {
        guard count >= 0 else { throw error(operation, path: path, errno: EINVAL) }
        guard offset <= UInt64(maximumFileSize), Int(offset) + count <= maximumFileSize else {
            throw error(operation, path: path, errno: EFBIG)
        }
        return Int(offset) + count
    }
}
