#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system, through POSIX calls.
public struct POSIXFileSystem: FileSystem {
    public init() {}

    public func openFile(atPath path: String, mode: FileOpenMode) throws -> any FileHandle {
        let flags: Int32
        switch mode {
        case .readOnly: flags = O_RDONLY
        case .readWrite: flags = O_RDWR
        case .createIfMissing: flags = O_RDWR | O_CREAT
        case .truncate: flags = O_RDWR | O_CREAT | O_TRUNC
        }
        let fd = retryingOnInterrupt { Glibc.open(path, flags | O_CLOEXEC, 0o644) }
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw TallyError(.notFound, "no such file", path: path, osErrno: code) }
            throw POSIXFileSystem.error("open", path: path, errno: code)
        }
        return POSIXFile(fd: fd, path: path)
    }

    public func fileExists(atPath path: String) -> Bool {
        access(path, F_OK) == 0
    }

    public func removeFile(atPath path: String) throws {
        if unlink(path) != 0 && errno != ENOENT {
            throw POSIXFileSystem.error("unlink", path: path, errno: errno)
        }
    }

    public func renameFile(atPath source: String, to destination: String) throws {
        if Glibc.rename(source, destination) != 0 {
            throw POSIXFileSystem.error("rename", path: source, errno: errno)
        }
    }

    public func moveFileIfAbsent(atPath source: String, to destination: String) throws {
        if Glibc.link(source, destination) != 0 {
            let code = errno
            // File systems without hard links: fall back to a check and a rename.
            guard code == EPERM || code == ENOTSUP || code == EOPNOTSUPP else {
                throw POSIXFileSystem.error("link", path: code == EEXIST ? destination : source, errno: code)
            }
            if access(destination, F_OK) == 0 { throw POSIXFileSystem.error("link", path: destination, errno: EEXIST) }
            try renameFile(atPath: source, to: destination)
            return
        }
        try removeFile(atPath: source)
    }

    public func syncDirectory(containing path: String) throws {
        let directory = Paths.directory(of: path)
        let fd = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw POSIXFileSystem.error("open directory", path: directory, errno: errno) }
        defer { Glibc.close(fd) }
        if fsync(fd) != 0 { throw POSIXFileSystem.error("fsync directory", path: directory, errno: errno) }
    }

    public func contentsOfDirectory(atPath directory: String) throws -> [String] {
        guard let dir = opendir(directory) else {
            throw POSIXFileSystem.error("opendir", path: directory, errno: errno)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func error(_ operation: String, path: String, errno code: Int32) -> TallyError {
        TallyError(.io, "\(operation) failed: \(String(cString: strerror(code)))", path: path, osErrno: code)
    }
}

@inline(__always)
func retryingOnInterrupt<T: BinaryInteger>(_ call: () -> T) -> T {
    while true {
        let result = call()
        if result >= 0 || errno != EINTR { return result }
    }
}

/// Path helpers that need no Foundation.
enum Paths {
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func fileName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
