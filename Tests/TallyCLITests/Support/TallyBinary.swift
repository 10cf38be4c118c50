import Foundation

/// The built `tally` executable, run in a child process exactly as a user would run it.
///
/// Where it is found, first match wins: the `TALLY_BINARY` environment variable; `tally` in the
/// directory of the running test bundle (SwiftPM writes every product of a build configuration
/// to one directory, and the test target depends on `TallyCLI` so it is built first); the
/// `.build/debug/tally` of this checkout.
enum TallyBinary {
    static let path: String = {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["TALLY_BINARY"] { candidates.append(explicit) }
        let bundleExecutable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundleExecutable.deletingLastPathComponent()
        // On Darwin the test executable sits inside `X.xctest/Contents/MacOS/`.
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("tally").path)
            directory = directory.deletingLastPathComponent()
        }
        if let selfExecutable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: selfExecutable).deletingLastPathComponent().appendingPathComponent("tally").path)
        }
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(checkout.appendingPathComponent(".build/debug/tally").path)
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate)
            && !FileManager.default.directoryExists(atPath: candidate) {
            return candidate
        }
        fatalError("the tally executable was not found; looked at: \(candidates)")
    }()

    struct Output: CustomStringConvertible {
        var status: Int32
        /// True when the process was ended by a signal rather than exiting.
        var wasSignalled: Bool
        var stdout: String
        var stderr: String

        var description: String { "exit \(status)\(wasSignalled ? " (signal)" : "")\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
        /// Non-empty lines of standard output.
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// Runs `tally ARGUMENTS…` to completion. Standard input is `stdinPath` or empty.
    static func run(_ arguments: [String], stdinPath: String? = nil) throws -> Output {
        let running = try RunningTally(arguments, stdin: stdinPath.map { .file($0) } ?? .none)
        return running.wait()
    }
}

/// A `tally` child process that may still be running; its output goes to temporary files so that
/// a full pipe can never stall it.
final class RunningTally {
    enum Input {
        case none
        case file(String)
        /// A pipe the test writes through ``write(_:)`` and closes with ``closeInput()``.
        case pipe
    }

    let process = Process()
    private let outputPath: String
    private let errorPath: String
    private let inputPipe: Pipe?

    init(_ arguments: [String], stdin: Input = .none) throws {
        signal(SIGPIPE, SIG_IGN)  // a child that dies while we write must not kill the tests
        let base = NSTemporaryDirectory() + "tally-run-" + UUID().uuidString
        outputPath = base + ".out"
        errorPath = base + ".err"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: TallyBinary.path)
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        switch stdin {
        case .none:
            process.standardInput = FileHandle.nullDevice
            inputPipe = nil
        case .file(let path):
            guard let handle = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileNoSuchFile) }
            process.standardInput = handle
            inputPipe = nil
        case .pipe:
            let pipe = Pipe()
            process.standardInput = pipe
            inputPipe = pipe
        }
        try process.run()
    }

    func write(_ bytes: [UInt8]) throws {
        try inputPipe!.fileHandleForWriting.write(contentsOf: Data(bytes))
    }

    func closeInput() throws {
        try inputPipe?.fileHandleForWriting.close()
    }

    func kill(_ signal: Int32 = SIGKILL) {
        Foundation.kill(process.processIdentifier, signal)
    }

    var isRunning: Bool { process.isRunning }

    func wait() -> TallyBinary.Output {
        try? closeInput()
        process.waitUntilExit()
        defer {
            try? FileManager.default.removeItem(atPath: outputPath)
            try? FileManager.default.removeItem(atPath: errorPath)
        }
        return TallyBinary.Output(
            status: process.terminationStatus, wasSignalled: process.terminationReason == .uncaughtSignal,
            stdout: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
    }
}

extension FileManager {
    func directoryExists(atPath path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
