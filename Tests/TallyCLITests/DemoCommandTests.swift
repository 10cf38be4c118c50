import Foundation
import Testing

/// `tally demo` on a small workload: it builds a database, shows results and the commands to go
/// further; with `--path` it refuses to overwrite unless `--force`; without, it runs twice.
@Suite struct DemoCommandTests {
    @Test func buildsAQueryableDatabaseAndRefusesToOverwrite() throws {
        let directory = TestDirectory()
        let database = directory.file("demo.tally")
        let output = try TallyBinary.run(["demo", "--events", "10000", "--path", database])
        #expect(output.status == 0, "\(output)")
        for expected in ["Daily pageviews", "utm_source", "A/B report for checkout_button", "sample-ratio mismatch p = ",
                         "info \(database)", "report \(database)\n", "dump \(database) --segments"] {
            #expect(output.stdout.contains(expected), "missing \(expected): \(output.stdout)")
        }
        let verify = try TallyBinary.run(["verify", database])
        #expect(verify.status == 0, "\(verify)")
        let total = try TallyBinary.run(["info", database, "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(total.stdout.utf8)) as! [String: Any]
        let events = (object["events_ingested"] as! NSNumber).intValue
        #expect(abs(events - 10_000) < 1_000, "about 10000 events, got \(events)")

        let refused = try TallyBinary.run(["demo", "--events", "1000", "--path", database])
        #expect(refused.status != 0 && refused.stderr.contains("--force"), "\(refused)")
        let replaced = try TallyBinary.run(["demo", "--events", "1000", "--path", database, "--force"])
        #expect(replaced.status == 0, "\(replaced)")
    }

    @Test func withoutAPathItWritesANewTemporaryDirectoryEachTime() throws {
        var paths: [String] = []
        for _ in 0..<2 {
            let output = try TallyBinary.run(["demo", "--events", "2000"])
            #expect(output.status == 0, "\(output)")
            let path = output.lines.compactMap { line -> String? in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                return trimmed.hasSuffix(".tally") && trimmed.hasPrefix("/") ? trimmed : nil
            }.first
            guard let path else {
                Issue.record("no path printed: \(output.stdout)")
                return
            }
            #expect(FileManager.default.fileExists(atPath: path))
            paths.append(path)
        }
        #expect(paths.count == 2 && paths[0] != paths[1])
        for path in paths { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
    }
}
