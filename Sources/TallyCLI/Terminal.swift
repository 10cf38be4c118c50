#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard error, written without going through C's `stderr` global (not concurrency-safe
/// in Swift 6). Each call is one `write(2)` of the whole text, so lines from threads don't mix.
enum Terminal {
    static var standardErrorIsTerminal: Bool { isatty(2) == 1 }

    static func writeToStandardError(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { raw in write(2, raw.baseAddress! + offset, raw.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
        bytes.removeAll()
    }

    /// A line on standard error (a note, a warning, or an error that is not fatal).
    static func note(_ line: String) {
        writeToStandardError(line + "\n")
    }
}
