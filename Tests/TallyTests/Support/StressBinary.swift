import Foundation

/// The built `tally-stress` executable (Sources/TallyStress), run as a child process.
///
/// Found, first match wins: `TALLY_STRESS_BINARY`; `tally-stress` beside the running test
/// bundle (SwiftPM builds every product of a configuration into one directory, and the test
/// target depends on TallyStress so it is built first); this checkout's `.build/debug`.
enum StressBinary {
    static let path: String = {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["TALLY_STRESS_BINARY"] { candidates.append(explicit) }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("tally-stress").path)
            directory = directory.deletingLastPathComponent()
        }
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(checkout.appendingPathComponent(".build/debug/tally-stress").path)
        var isDirectory: ObjCBool = false
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory)
            && !isDirectory.boolValue && FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        fatalError("tally-stress was not found; looked at \(candidates)")
    }()

    /// Runs `tally-stress ARGUMENTS…` to completion; returns its exit status and output lines.
    static func run(_ arguments: [String]) throws -> (status: Int32, lines: [String]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let outputPath = NSTemporaryDirectory() + "tally-stress-test-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: outputPath)
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: FileManager.default.contents(atPath: outputPath) ?? Data(), as: UTF8.self)
        let status = process.terminationReason == .exit ? process.terminationStatus : -process.terminationStatus
        return (status, text.split(separator: "\n").map(String.init))
    }

    /// The `key=value` fields of the `RELIABILITY-FIGURES` line of `lines`.
    static func figures(_ lines: [String]) -> [String: String] {
        guard let line = lines.last(where: { $0.hasPrefix("RELIABILITY-FIGURES") }) else { return [:] }
        var fields: [String: String] = [:]
        for field in line.split(separator: " ").dropFirst() {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        return fields
    }
}
