/// The identity of a simulated file (its inode). Names, open handles and locks refer to a file by
/// identity, so a rename moves the name and a removed file stays readable through open handles.
struct FileID: Hashable, Comparable, Sendable {
    let raw: Int
    static func < (a: FileID, b: FileID) -> Bool { a.raw < b.raw }
}

/// One change to a file's bytes.
enum FileChange: Sendable, Equatable {
    /// `pwrite`: writing past the end zero-fills the gap.
    case write(offset: Int, bytes: [UInt8])
    /// `ftruncate`: shrinks, or grows with zeros.
    case truncate(size: Int)

    func apply(to contents: inout [UInt8]) {
        switch self {
        case .write(let offset, let bytes):
            guard !bytes.isEmpty else { return }
            let end = offset + bytes.count
            if contents.count < end {
                contents.append(contentsOf: repeatElement(0, count: end - contents.count))
            }
            contents.replaceSubrange(offset..<end, with: bytes)
        case .truncate(let size):
            if size < contents.count {
                contents.removeSubrange(size...)
            } else {
                contents.append(contentsOf: repeatElement(0, count: size - contents.count))
            }
        }
    }
}

/// A change made since the file's last successful sync.
struct PendingChange: Sendable {
    var change: FileChange
    /// A sync failed while this change was pending. As on Linux after a failed `fsync` (the page
    /// is marked clean and the error reported once), the change stays visible to reads but never
    /// reaches the disk: a later successful sync skips it and every power loss drops it. Only a
    /// process crash, which keeps the page cache, keeps it.
    var lost = false
}

/// One file, as a disk with a page cache holds it.
///
/// - `durable`: what the disk holds; survives any power loss.
/// - `current`: what reads see; `durable` with every pending change applied in order, lost ones
///   included.
/// - `pending`: the writes and truncations since the last successful sync, oldest first.
struct FileState: Sendable {
    var durable: [UInt8] = []
    var current: [UInt8] = []
    var pending: [PendingChange] = []

    init() {}

    /// A file whose bytes are all durable.
    init(durable bytes: [UInt8]) {
        durable = bytes
        current = bytes
    }

    /// Applies `change` to what reads see and remembers it as not yet durable.
    mutating func record(_ change: FileChange) {
        change.apply(to: &current)
        pending.append(PendingChange(change: change))
    }

    /// A successful sync: every pending change not lost becomes durable.
    mutating func sync() {
        for change in pending where !change.lost { change.change.apply(to: &durable) }
        pending.removeAll()
    }

    /// A failed sync: every change pending now is lost (see ``PendingChange/lost``).
    mutating func failSync() {
        for index in pending.indices { pending[index].lost = true }
    }

    /// True when any power loss would leave exactly `current`.
    var isFullyDurable: Bool { pending.isEmpty && durable == current }
}

/// Path helpers for the simulated namespace, which is a flat map from path strings to files.
///
/// Directories are implied: a directory "exists" when it is named, and its entries are the names
/// that start with `directory + "/"`. Paths are compared as strings (no `..`, no `//` collapsing),
/// so callers must spell a path the same way each time, as the engine does.
enum SimulatedPath {
    /// The directory holding `path`, as `Paths.directory(of:)` in module `Tally` computes it.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// `directory` without trailing slashes ("/" stays "/").
    static func normalized(directory: String) -> String {
        var result = Substring(directory)
        while result.count > 1, result.hasSuffix("/") { result = result.dropLast() }
        return result.isEmpty ? "." : String(result)
    }

    /// The part of `path` below `directory`, or `nil` when `path` is not inside it.
    static func relative(_ path: String, to directory: String) -> Substring? {
        switch directory {
        case ".":
            return path.hasPrefix("/") ? nil : Substring(path.hasPrefix("./") ? path.dropFirst(2) : Substring(path))
        case "/":
            return path.hasPrefix("/") ? path.dropFirst() : nil
        default:
            let prefix = directory + "/"
            return path.hasPrefix(prefix) ? path.dropFirst(prefix.count) : nil
        }
    }

    /// The name of the entry of `directory` that leads to `path` (its first component below it).
    static func entry(of path: String, in directory: String) -> String? {
        guard let rest = relative(path, to: directory), !rest.isEmpty else { return nil }
        return String(rest.prefix(while: { $0 != "/" }))
    }
}
