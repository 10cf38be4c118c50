import Foundation
import TallyWorkload

/// A deterministic event stream from TallyWorkload written as an NDJSON file, with its events
/// read back by the oracle. Shared by the suites; nothing writes to it after creation.
final class GeneratedStream: Sendable {
    static let eventCount = 20_000
    /// About 20 000 events over 3 days: several partitions, every metric of the model, late arrivals.
    static let standard = GeneratedStream(events: eventCount, days: 3, seed: 7)
    /// About 12 000 events over 3 days starting at midnight UTC five days before the tests run,
    /// for commands whose arguments are relative to now (`retention --keep`, `compact
    /// --downsample`): every partition has ended more than a day ago.
    static let recent = GeneratedStream(
        events: 12_000, days: 3, seed: 11,
        start: (Int64(Date().timeIntervalSince1970 * 1000) / 86_400_000 - 5) * 86_400_000)

    let directory = TestDirectory()
    let path: String
    /// The file's lines, without newlines.
    let lines: [String]
    let events: [OracleEvent]
    /// Epoch ms of the first hour of the stream.
    let start: Int64

    init(events count: Int, days: Int, seed: UInt64, start first: Int64? = nil) {
        var options = WorkloadOptions()
        options.events = count
        options.days = days
        options.seed = seed
        if let first { options.start = first }
        start = options.start
        lines = WorkloadGenerator(options).map { event in
            var line = event.ndjsonLine()
            while line.last == "\n" { line.removeLast() }
            return line
        }
        path = directory.file("events.ndjson")
        try! (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        self.events = try! NDJSONOracle.events(inLines: lines)
    }

    /// Lines `range` as a new file in `directory`.
    func slice(_ range: Range<Int>, in directory: TestDirectory, name: String) -> String {
        let path = directory.file(name)
        try! (lines[range].joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The first `count` lines as a new file in `directory`, plus optional extra lines.
    func prefixFile(_ count: Int, in directory: TestDirectory, name: String, appending extra: [String] = []) -> String {
        let path = directory.file(name)
        try! ((lines.prefix(count) + extra).joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// A database made by one clean `tally import` of ``GeneratedStream/standard``, shared read-only.
final class ImportedDatabase: Sendable {
    static let batchSize = 2_000
    static let standard = ImportedDatabase(GeneratedStream.standard)

    let directory = TestDirectory()
    let path: String
    let importOutput: TallyBinary.Output

    init(_ stream: GeneratedStream) {
        path = directory.file("standard.tally")
        importOutput = try! TallyBinary.run(["import", path, stream.path, "--batch-size", String(Self.batchSize)])
        precondition(importOutput.status == 0, "the fixture import failed: \(importOutput)")
    }
}

/// ``GeneratedStream/recent`` imported in four interleaved parts (line `i` in part `i % 4`), so
/// every partition has several segments, which compaction merges. Kept pristine: the retention
/// and compaction suites work on copies.
final class RecentDatabase: Sendable {
    static let shared = RecentDatabase(GeneratedStream.recent)
    static let parts = 4

    let directory = TestDirectory()
    let path: String
    let stream: GeneratedStream

    init(_ stream: GeneratedStream) {
        self.stream = stream
        path = directory.file("recent.tally")
        for part in 0..<Self.parts {
            let file = directory.file("part\(part).ndjson")
            let lines = stream.lines.indices.filter { $0 % Self.parts == part }.map { stream.lines[$0] }
            try! (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            let output = try! TallyBinary.run(["import", path, file, "--batch-size", "1000"])
            precondition(output.status == 0, "the fixture import failed: \(output)")
        }
    }

    /// A private copy of the database (and its log, if any) in `directory`.
    func copy(in directory: TestDirectory, name: String = "copy.tally") throws -> String {
        let copy = directory.file(name)
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        if FileManager.default.fileExists(atPath: path + "-wal") {
            try FileManager.default.copyItem(atPath: path + "-wal", toPath: copy + "-wal")
        }
        return copy
    }

    /// Size of a file in bytes.
    static func size(_ path: String) throws -> UInt64 {
        try FileManager.default.attributesOfItem(atPath: path)[.size] as! UInt64
    }
}
