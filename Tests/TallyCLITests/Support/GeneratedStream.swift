import Foundation
import TallyWorkload

/// A deterministic event stream from TallyWorkload written as an NDJSON file, with its events
/// read back by the oracle. Shared by the suites; nothing writes to it after creation.
final class GeneratedStream: Sendable {
    static let eventCount = 20_000
    /// About 20 000 events over 3 days: several partitions, every metric of the model, late arrivals.
    static let standard = GeneratedStream(events: eventCount, days: 3, seed: 7)

    let directory = TestDirectory()
    let path: String
    /// The file's lines, without newlines.
    let lines: [String]
    let events: [OracleEvent]
    /// Epoch ms of the first hour of the stream.
    let start: Int64

    init(events count: Int, days: Int, seed: UInt64) {
        var options = WorkloadOptions()
        options.events = count
        options.days = days
        options.seed = seed
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
