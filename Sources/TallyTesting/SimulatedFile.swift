#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Tally

/// A handle on a file of a ``SimulatedFileSystem``, like a file descriptor: it holds the file by
/// identity, so it keeps working after the file is renamed or removed.
///
/// Every call goes through the file system's lock and its fault and crash gate. After `close()`,
/// calls throw `.io` with `EBADF`; on a `readOnly` handle, `write` and `truncate` do too.
/// Deinitialising the handle closes it, releasing its lock.
final class SimulatedFile: FileHandle {
    let path: String
    private let fileSystem: SimulatedFileSystem
    private let handle: Int
    private let file: FileID
    private let writable: Bool

    init(fileSystem: SimulatedFileSystem, handle: Int, file: FileID, path: String, writable: Bool) {
        self.fileSystem = fileSystem
        self.handle = handle
        self.file = file
        self.path = path
        self.writable = writable
    }

    deinit { close() }

    func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        try withFile(.read) { file in
            let end = try FileSystemState.checkedEnd(offset: offset, count: count, path: path, operation: "pread")
            let start = Int(offset)
            guard start < file.current.count else { return [] }
            return Array(file.current[start..<min(end, file.current.count)])
        }
    }

    func write(_ bytes: [UInt8], at offset: UInt64) throws {
        let onFault = { [handle, writable, file] (state: inout FileSystemState, fault: SimulatedFileSystem.Fault) in
            // A short write before the error: the first half of the bytes lands.
            guard fault.partialWrite, writable, state.openHandles[handle] != nil, bytes.count >= 2,
                  offset + UInt64(bytes.count) <= UInt64(FileSystemState.maximumFileSize)
            else { return }
            state.files[file]!.record(.write(offset: Int(offset), bytes: Array(bytes.prefix(bytes.count / 2))))
        }
        try withFile(.write, onFault: onFault) { file in
            try requireWritable("pwrite")
            _ = try FileSystemState.checkedEnd(offset: offset, count: bytes.count, path: path, operation: "pwrite")
            guard !bytes.isEmpty else { return }
            file.record(.write(offset: Int(offset), bytes: bytes))
        }
    }

    func size() throws -> UInt64 {
        try withFile(.size) { file in UInt64(file.current.count) }
    }

    func truncate(to size: UInt64) throws {
        try withFile(.truncate) { file in
            try requireWritable("ftruncate")
            _ = try FileSystemState.checkedEnd(offset: size, count: 0, path: path, operation: "ftruncate")
            file.record(.truncate(size: Int(size)))
        }
    }

    /// Makes every pending change of the file durable (changes lost by an earlier failed sync
    /// excepted). A failed sync loses the pending changes instead (see `Fault`).
    func sync() throws {
        let onFault = { [file] (state: inout FileSystemState, _: SimulatedFileSystem.Fault) -> Void in
            state.files[file]?.failSync()
        }
        try withFile(.sync, onFault: onFault) { file in file.sync() }
    }

    func lockExclusive() throws {
        try fileSystem.state.withLock { state in
            try state.perform(.lock, paths: [path]) { state in
                try requireOpen(state)
                if let holder = state.lockHolders[file], holder != handle {
                    throw TallyError(
                        .locked,
                        "the file is locked by simulated process (handle \(holder)); one process may write at a time",
                        path: path, osErrno: EWOULDBLOCK)
                }
                state.lockHolders[file] = handle
            }
        }
    }

    /// Releases the handle and its lock. Does nothing after a crash (the frozen file system keeps
    /// its locks; a file system from `powerLoss` or `processCrash` has none).
    func close() {
        fileSystem.state.withLock { state in
            guard !state.crashed else { return }
            state.closeHandle(handle)
        }
    }

    // MARK: Helpers

    /// Runs `body` on the file's state through the gate, after checking the handle is open.
    private func withFile<T>(
        _ operation: SimulatedFileSystem.Operation,
        onFault: (inout FileSystemState, SimulatedFileSystem.Fault) -> Void = { _, _ in },
        _ body: (inout FileState) throws -> T
    ) throws -> T {
        try fileSystem.state.withLock { state in
            try state.perform(operation, paths: [path], onFault: onFault) { state in
                try requireOpen(state)
                return try body(&state.files[file]!)
            }
        }
    }

    private func requireOpen(_ state: FileSystemState) throws {
        guard state.openHandles[handle] != nil else {
            throw TallyError(.io, "file handle is closed", path: path, osErrno: EBADF)
        }
    }

    private func requireWritable(_ operation: String) throws {
        guard writable else { throw FileSystemState.error(operation, path: path, errno: EBADF) }
    }
}
