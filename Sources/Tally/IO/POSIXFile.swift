#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file descriptor. Thread-safe because every operation is positional (`pread`/`pwrite`);
/// `close` must not race with other calls (the engine closes a handle only when it is unused).
final class POSIXFile: FileHandle, @unchecked Sendable {
    let path: String
    private var fd: Int32

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close() }

    func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        try buffer.withUnsafeMutableBytes { raw in
            while done < count {
                let n = retryingOnInterrupt {
                    pread(fd, raw.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                }
                if n < 0 { throw POSIXFileSystem.error("pread", path: path, errno: errno) }
                if n == 0 { break }
                done += n
            }
        }
        if done < count { buffer.removeSubrange(done...) }
        return buffer
    }

    func write(_ bytes: [UInt8], at offset: UInt64) throws {
        var done = 0
        try bytes.withUnsafeBytes { raw in
            while done < raw.count {
                let n = retryingOnInterrupt {
                    pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(offset) + off_t(done))
                }
                if n < 0 { throw POSIXFileSystem.error("pwrite", path: path, errno: errno) }
                done += n
            }
        }
    }

    func size() throws -> UInt64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw POSIXFileSystem.error("fstat", path: path, errno: errno) }
        return UInt64(info.st_size)
    }

    func truncate(to size: UInt64) throws {
        guard retryingOnInterrupt({ ftruncate(fd, off_t(size)) }) == 0 else {
            throw POSIXFileSystem.error("ftruncate", path: path, errno: errno)
        }
    }

    func sync() throws {
        #if os(Linux)
        let status = fdatasync(fd)
        #else
        let status = fsync(fd)
        #endif
        guard status == 0 else { throw POSIXFileSystem.error("fdatasync", path: path, errno: errno) }
    }

    func lockExclusive() throws {
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            if code == EWOULDBLOCK {
                let holder = LockHolder.describe(fd: fd).map { " by \($0)" } ?? " by another writer"
                throw TallyError(
                    .locked, "the database is locked\(holder); one process may write at a time",
                    path: path, osErrno: code)
            }
            throw POSIXFileSystem.error("flock", path: path, errno: code)
        }
    }

    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }
}

/// Finds which process holds a `flock` on a file, from `/proc/locks` (Linux only).
enum LockHolder {
    static func describe(fd: Int32) -> String? {
        #if os(Linux)
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        let inode = UInt64(info.st_ino)
        guard let text = readProcLocks() else { return nil }
        // Line shape: "1: FLOCK  ADVISORY  WRITE 12345 fd:01:1234567 0 EOF"
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "FLOCK", let pid = Int32(fields[4]) else { continue }
            let device = fields[5].split(separator: ":")
            guard device.count == 3, UInt64(device[2]) == inode else { continue }
            return "process \(pid)" + (commandName(pid: pid).map { " (\($0))" } ?? "")
        }
        #endif
        return nil
    }

    private static func readProcLocks() -> String? { readSmallFile("/proc/locks") }

    private static func commandName(pid: Int32) -> String? {
        readSmallFile("/proc/\(pid)/comm").map { String($0.prefix(while: { $0 != "\n" })) }
    }

    private static func readSmallFile(_ path: String) -> String? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while bytes.count < 4 << 20 {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The system's wall clock.
public struct SystemWallClock: WallClock {
    public init() {}

    public func nowMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
