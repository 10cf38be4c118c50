import Foundation

/// A `tally-stress` child process whose standard output goes to a file, so that a full pipe
/// never stalls it and every line it wrote before a SIGKILL can be read afterwards.
final class Child {
    let process = Process()
    private let outputPath: String

    static let executable: String = {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }()

    init(_ arguments: [String]) throws {
        outputPath = NSTemporaryDirectory() + "tally-stress-child-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Child.executable)
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: outputPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit { try? FileManager.default.removeItem(atPath: outputPath) }

    var pid: Int32 { process.processIdentifier }

    func kill() { _ = Glibc.kill(process.processIdentifier, SIGKILL) }

    /// Waits for the child to end; returns its exit status, or `nil` when a signal ended it.
    @discardableResult
    func wait() -> Int32? {
        process.waitUntilExit()
        return process.terminationReason == .exit ? process.terminationStatus : nil
    }

    /// The complete lines written so far.
    var lines: [String] {
        guard let data = FileManager.default.contents(atPath: outputPath) else { return [] }
        var text = String(decoding: data, as: UTF8.self)
        if !text.hasSuffix("\n"), let cut = text.lastIndex(of: "\n") { text = String(text[...cut]) } else if !text.hasSuffix("\n") { text = "" }
        return text.split(separator: "\n").map(String.init)
    }

    /// Polls the output until a line starts with `prefix`, the child exits, or `seconds` pass.
    func waitForLine(startingWith prefix: String, seconds: Double) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let line = lines.first(where: { $0.hasPrefix(prefix) }) { return line }
            if !process.isRunning { return lines.first { $0.hasPrefix(prefix) } }
            usleep(2000)
        }
        return nil
    }
}
