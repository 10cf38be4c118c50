#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file (or standard input) line by line in large chunks, with bounded memory.
struct LineInput {
    /// Lines longer than this are an error, not an allocation.
    static let maxLineBytes = 1 << 20
    private static let chunkSize = 4 << 20

    let path: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8] = []
    /// Every read lands here first, so a short read (a pipe delivers at most 64 KiB) costs what
    /// it reads, not a fresh chunk. Not initialised: only the bytes `read` wrote are used.
    private var chunk = [UInt8](unsafeUninitializedCapacity: LineInput.chunkSize) { _, count in count = LineInput.chunkSize }
    private var start = 0
    private var atEOF = false
    /// Whether the start of the input was looked at for a byte order mark.
    private var checkedByteOrderMark = false
    private(set) var bytesRead: UInt64 = 0
    /// Bytes of the lines returned so far (with their newlines).
    var bytesConsumed: UInt64 { bytesRead - UInt64(buffer.count - start) }
    let totalBytes: UInt64?

    init(path: String) throws {
        self.path = path
        if path == "-" {
            fd = STDIN_FILENO
            ownsDescriptor = false
        } else {
            fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                let code = errno
                if code == ENOENT { throw TallyError(.notFound, "no such file", path: path, osErrno: code) }
                throw POSIXFileSystem.error("open", path: path, errno: code)
            }
            ownsDescriptor = true
        }
        var info = stat()
        totalBytes = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG ? UInt64(info.st_size) : nil
    }

    func close() {
        if ownsDescriptor { Glibc.close(fd) }
    }

    /// The next line without its `\n` (a final line without one is still a line), or `nil` at
    /// the end. A UTF-8 byte order mark at the start of the input is skipped (editors on
    /// Windows write one; RFC 8259 lets a parser ignore it). The slice is valid until the next
    /// call.
    mutating func nextLine() throws -> ArraySlice<UInt8>? {
        if !checkedByteOrderMark {
            while buffer.count - start < 3 && !atEOF { try refill() }
            if buffer[start...].starts(with: [0xEF, 0xBB, 0xBF]) { start += 3 }
            checkedByteOrderMark = true
        }
        while true {
            if let newline = newlineIndex() {
                // Whether the line fit in the buffered chunk or not: the limit does not depend
                // on where the line starts.
                guard newline - start <= LineInput.maxLineBytes else { throw lineTooLong }
                defer { start = newline + 1 }
                return buffer[start..<newline]
            }
            if buffer.count - start > LineInput.maxLineBytes { throw lineTooLong }
            if atEOF {
                guard start < buffer.count else { return nil }
                defer { start = buffer.count }
                return buffer[start...]
            }
            try refill()
        }
    }

    private var lineTooLong: ImportLineError {
        ImportLineError(file: path, line: -1, reason: "a line is longer than \(LineInput.maxLineBytes) bytes")
    }

    /// The index of the first `\n` at or after `start` (`memchr`: lines are long, and a
    /// byte-at-a-time search was 5% of an import's instructions).
    private func newlineIndex() -> Int? {
        buffer.withUnsafeBytes { bytes in
            guard start < bytes.count, let found = memchr(bytes.baseAddress! + start, 0x0A, bytes.count - start) else { return nil }
            return UnsafeRawPointer(found) - bytes.baseAddress!
        }
    }

    private mutating func refill() throws {
        buffer.removeSubrange(0..<start)
        start = 0
        let n = chunk.withUnsafeMutableBytes { raw in
            retryingOnInterrupt { Glibc.read(fd, raw.baseAddress!, raw.count) }
        }
        guard n >= 0 else { throw POSIXFileSystem.error("read", path: path, errno: errno) }
        buffer.append(contentsOf: chunk[..<n])
        bytesRead += UInt64(n)
        if n == 0 { atEOF = true }
    }
}
