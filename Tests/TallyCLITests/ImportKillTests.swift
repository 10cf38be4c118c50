import Foundation
import Testing

/// An import fed through a pipe is held still after a known number of batches, so other
/// processes can read a known state while it runs; then it is killed with SIGKILL and re-run.
@Suite struct ImportKillTests {
    /// The fixture's, so the re-run can be compared with ``ImportedDatabase/standard``.
    static let batchSize = ImportedDatabase.batchSize

    @Test func readersWorkDuringAnImportAndAKilledImportReRunsToExactlyOnce() throws {
        let directory = TestDirectory()
        let stream = GeneratedStream.standard
        let database = directory.file("killed.tally")
        let importer = try RunningTally(["import", database, "-", "--batch-size", String(Self.batchSize)], stdin: .pipe)
        defer { if importer.isRunning { importer.kill() } }

        // 5 full batches and half of the 6th, which stays uncommitted while the pipe is open.
        let sent = 5 * Self.batchSize + Self.batchSize / 2
        try importer.write(Array((stream.lines.prefix(sent).joined(separator: "\n") + "\n").utf8))
        let committed = 5 * Self.batchSize
        try DatabaseProbe.waitForEventsIngested(database, equalTo: committed)

        // Other processes read the committed state while the importer holds the writer's lock.
        let prefix = try NDJSONOracle.events(inLines: Array(stream.lines.prefix(committed)))
        for spec in ImportCommandTests.probes + [QuerySpec(metric: "purchase", groupBy: ["country"], measures: ["count", "sum", "units"])] {
            let output = try TallyBinary.run(spec.arguments(database: database))
            #expect(output.status == 0, "\(output)")
            #expect(NDJSONOracle.mismatches(jsonLines: output.lines, spec: spec, expected: NDJSONOracle.answer(spec, events: prefix)).isEmpty,
                    "\(spec) during the import")
        }
        let rows = try TallyBinary.run(["dump", database, "--rows", "--format", "json"])
        #expect(rows.status == 0, "\(rows)")
        let storedEvents = rows.lines.map { line in
            ((try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any])["count"] as! NSNumber).intValue
        }.reduce(0, +)
        #expect(storedEvents == committed)
        let wal = try TallyBinary.run(["dump", database, "--wal"])
        #expect(wal.status == 0 && wal.stdout.contains("the log ends"), "\(wal)")
        #expect(try TallyBinary.run(["dump", database, "--segments", "--format", "json"]).status == 0)
        #expect(importer.isRunning, "the importer must still be waiting for input")

        importer.kill(SIGKILL)
        let killed = importer.wait()
        #expect(killed.wasSignalled, "\(killed)")

        let rerun = try TallyBinary.run(["import", database, stream.path, "--batch-size", String(Self.batchSize)])
        #expect(rerun.status == 0, "\(rerun)")
        #expect(rerun.stdout.contains("(5 duplicate batches"), "\(rerun.stdout)")
        #expect(rerun.stdout.contains("imported \(stream.lines.count - committed) events"), "\(rerun.stdout)")
        for spec in ImportCommandTests.probes {
            let output = try TallyBinary.run(spec.arguments(database: database))
            #expect(NDJSONOracle.mismatches(jsonLines: output.lines, spec: spec, expected: NDJSONOracle.answer(spec, events: stream.events)).isEmpty,
                    "\(spec) after the re-run")
        }
        // Exactly the answers of one clean import (same file, same batch size).
        #expect(try ImportCommandTests.answers(database) == ImportCommandTests.answers(ImportedDatabase.standard.path))
        #expect(try TallyBinary.run(["verify", database]).status == 0)
    }
}
