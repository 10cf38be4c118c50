/// Appends frames to the write-ahead log.
///
/// Locking: not thread-safe by itself. The engine calls ``append(_:type:)`` with its state lock
/// held, and `file.sync()` from the group-commit path without it; ``end`` and
/// ``syncedOffset`` are read under the state lock.
final class WALWriter: @unchecked Sendable {
    let file: any FileHandle
    let salt: UInt64
    /// Length of the log: where the next frame goes.
    private(set) var end: UInt64
    /// Log length known durable (the last successful sync covered it).
    private(set) var syncedOffset: UInt64

    private init(file: any FileHandle, salt: UInt64, end: UInt64) {
        self.file = file
        self.salt = salt
        self.end = end
        self.syncedOffset = end
    }

    /// Creates a new, empty log for `salt`: writes the header, syncs the file and its directory,
    /// so that the log exists durably before any record is acknowledged from it.
    static func create(path: String, salt: UInt64, fileSystem: any FileSystem) throws -> WALWriter {
        let file = try fileSystem.openFile(atPath: path, mode: .truncate)
        try file.write(WALFormat.encodeFileHeader(salt: salt), at: 0)
        try file.sync()
        try fileSystem.syncDirectory(containing: path)
        return WALWriter(file: file, salt: salt, end: UInt64(WALFormat.fileHeaderSize))
    }

    /// Continues an existing log after recovery: `validEnd` is where replay stopped. Bytes past
    /// it (a torn tail) are cut off, a damaged header is written again when salvaging
    /// (`rewriteHeader`, rule W1a), and the changes are synced.
    static func resume(file: any FileHandle, salt: UInt64, validEnd: UInt64, rewriteHeader: Bool = false) throws -> WALWriter {
        var changed = false
        if rewriteHeader {
            try file.write(WALFormat.encodeFileHeader(salt: salt), at: 0)
            changed = true
        }
        if try file.size() != validEnd {
            try file.truncate(to: validEnd)
            changed = true
        }
        if changed { try file.sync() }
        return WALWriter(file: file, salt: salt, end: validEnd)
    }

    /// Writes one frame at the end of the log (not durable until the file is synced). On failure nothing
    /// is considered appended; bytes written past ``end`` are overwritten by the next append.
    /// Returns the log length after the frame.
    @discardableResult
    func append(_ payload: [UInt8], type: WALRecordType) throws -> UInt64 {
        let frame = WALFormat.encodeFrame(type: type, payload: payload, salt: salt, syncedOffset: syncedOffset)
        try file.write(frame, at: end)
        end += UInt64(frame.count)
        return end
    }

    /// Records that the log is durable up to `target` after a successful `file.sync()` that
    /// began when ``end`` was `target`. Callers hold the state lock.
    func markSynced(upTo target: UInt64) {
        syncedOffset = max(syncedOffset, target)
    }
}
