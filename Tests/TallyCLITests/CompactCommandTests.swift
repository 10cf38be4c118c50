import Foundation
import Testing

/// `tally compact`: every answer the same before and after, to the last bit, and the file
/// smaller; `--downsample` re-buckets old partitions (and queries note it); a writer holding the
/// lock makes it fail, naming the holder; bad rules are refused.
@Suite struct CompactCommandTests {
    /// Every `--format json` answer compared before and after: the retention suite's, and every
    /// metric at each resolution.
    static func answers(_ database: String) throws -> [String] {
        var answers = try RetentionCommandTests.answers(database)
        for metric in ["pageview", "exposure", "conversion", "purchase", "error"] {
            for every in ["hour", "day", "total"] {
                let spec = QuerySpec(metric: metric, groupBy: ["country"], every: every, measures: ["count", "sum", "min", "max", "units"])
                answers.append(try TallyBinary.run(spec.arguments(database: database)).stdout)
            }
        }
        return answers
    }

    /// Identical JSON lines, compared as JSON values (numbers read from their decimal text).
    /// Sums are exact too: cells keep double-double sums, so merging segments in another order
    /// gives the same rounded total.
    static func sameAnswer(_ old: String, _ new: String) -> Bool {
        let (oldLines, newLines) = (old.split(separator: "\n"), new.split(separator: "\n"))
        guard oldLines.count == newLines.count else { return false }
        return zip(oldLines, newLines).allSatisfy { a, b in
            a == b || equal(try? JSONSerialization.jsonObject(with: Data(a.utf8)), try? JSONSerialization.jsonObject(with: Data(b.utf8)), key: nil)
        }
    }

    private static func equal(_ a: Any?, _ b: Any?, key: String?) -> Bool {
        switch (a, b) {
        case let (a as [String: Any], b as [String: Any]):
            return Set(a.keys) == Set(b.keys) && a.keys.allSatisfy { equal(a[$0], b[$0], key: $0) }
        case let (a as [Any], b as [Any]):
            return a.count == b.count && zip(a, b).allSatisfy { equal($0, $1, key: key) }
        case let (a as String, b as String):
            return a == b
        case let (a as NSNumber, b as NSNumber):
            guard let x = NDJSONOracle.exactDouble(a), let y = NDJSONOracle.exactDouble(b) else { return false }
            return x == y
        case (is NSNull, is NSNull):
            return true
        default:
            return false
        }
    }

    static func object(_ output: TallyBinary.Output) -> [String: Int] {
        let object = (try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8))) as? [String: Any] ?? [:]
        return object.compactMapValues { ($0 as? NSNumber)?.intValue }
    }

    @Test func everyAnswerIsUnchangedAndTheFileSmaller() throws {
        let directory = TestDirectory()
        let database = try RecentDatabase.shared.copy(in: directory)
        let before = try Self.answers(database)
        let size = try RecentDatabase.size(database)

        let output = try TallyBinary.run(["compact", database, "--format", "json"])
        #expect(output.status == 0 && output.stderr.isEmpty, "no progress when standard error is not a terminal: \(output)")
        let result = Self.object(output)
        #expect(result["bytes_before"] == Int(size))
        #expect(result["bytes_after"] == Int(try RecentDatabase.size(database)))
        #expect(try RecentDatabase.size(database) < size)
        #expect((result["segments_after"] ?? 0) < (result["segments_before"] ?? 0), "\(result)")
        #expect(result["segments_after"] == result["partitions"] && result["partitions_downsampled"] == 0, "\(result)")
        #expect((result["rows_after"] ?? 0) <= (result["rows_before"] ?? 0), "\(result)")

        let after = try Self.answers(database)
        #expect(after.count == before.count)
        for (index, (old, new)) in zip(before, after).enumerated() where !Self.sameAnswer(old, new) {
            Issue.record("answer \(index) changed by compaction:\n\(old)\n\(new)")
        }
        #expect(try TallyBinary.run(["verify", database]).status == 0)

        let again = try TallyBinary.run(["compact", database])
        #expect(again.status == 0, "\(again)")
        for expected in ["compacted \(database)", "file:", "segments:", "partitions:", "rows:"] {
            #expect(again.stdout.contains(expected), "missing \(expected): \(again.stdout)")
        }
    }

    @Test func downsampledPartitionsAnswerAtTheCoarserBucket() throws {
        let directory = TestDirectory()
        let stream = RecentDatabase.shared.stream
        // The stream's partitions ended between one and five days ago.
        let young = try RecentDatabase.shared.copy(in: directory, name: "young.tally")
        let untouched = Self.object(try TallyBinary.run(["compact", young, "--downsample", "30d:day", "--format", "json"]))
        #expect(untouched["partitions_downsampled"] == 0, "\(untouched)")

        let database = try RecentDatabase.shared.copy(in: directory)
        let output = try TallyBinary.run(["compact", database, "--downsample", "1d:day", "--downsample", "2w:day", "--format", "json"])
        #expect(output.status == 0, "\(output)")
        let result = Self.object(output)
        #expect(result["partitions_downsampled"] == result["partitions"] && (result["partitions"] ?? 0) >= 3, "\(result)")
        #expect((result["rows_after"] ?? 0) < (result["rows_before"] ?? 0), "\(result)")

        let table = try TallyBinary.run(["query", database, "pageview", "--every", "hour"])
        #expect(table.status == 0 && table.stdout.contains("coarser bucket (day) than --every (hour)"), "\(table)")
        // Asked for hours, the rows come a day each, with exact counts.
        for metric in ["pageview", "purchase"] {
            let spec = QuerySpec(metric: metric, groupBy: ["device"], every: "day", measures: ["count", "sum", "min", "max"])
            let hourly = try TallyBinary.run(spec.arguments(database: database).map { $0 == "day" ? "hour" : $0 })
            let expected = NDJSONOracle.answer(spec, events: stream.events)
            let problems = NDJSONOracle.mismatches(jsonLines: hourly.lines, spec: spec, expected: expected)
            #expect(problems.isEmpty, "\(metric): \(problems.prefix(5))")
        }
        #expect(try TallyBinary.run(["verify", database]).status == 0)
    }

    @Test func aWriterHoldingTheLockIsNamed() throws {
        let directory = TestDirectory()
        let database = try RecentDatabase.shared.copy(in: directory)
        let writer = try DatabaseProbe.writerHoldingTheLock(on: database, committing: RecentDatabase.shared.stream.lines.suffix(100))
        defer { if writer.isRunning { writer.kill() } }
        let size = try RecentDatabase.size(database)
        let refused = try TallyBinary.run(["compact", database])
        #expect(refused.status == 1 && refused.stdout.isEmpty, "\(refused)")
        #expect(refused.stderr.contains("cannot compact: the database is locked by process \(writer.process.processIdentifier)"),
                "\(refused.stderr)")
        #expect(try RecentDatabase.size(database) == size)
    }

    @Test func badRulesAreRefused() throws {
        let directory = TestDirectory()
        let database = try RecentDatabase.shared.copy(in: directory)
        let cases: [([String], String)] = [
            (["--downsample", "30d"], "is not AGE:BUCKET"),
            (["--downsample", "30x:day"], "is not AGE:BUCKET"),
            (["--downsample", "30d:minute"], "is not AGE:BUCKET"),
            (["--downsample", "30d:fortnight"], "is not AGE:BUCKET"),
            // A week does not divide the database's daily partitions.
            (["--downsample", "30d:week"], "cannot compact: a downsampling bucket"),
        ]
        let size = try RecentDatabase.size(database)
        for (arguments, message) in cases {
            let output = try TallyBinary.run(["compact", database] + arguments)
            #expect(output.status != 0 && !output.wasSignalled && output.stdout.isEmpty, "\(arguments): \(output)")
            #expect(output.stderr.contains(message), "\(arguments): \(output.stderr)")
        }
        #expect(try RecentDatabase.size(database) == size)
        let missing = try TallyBinary.run(["compact", directory.file("missing.tally")])
        #expect(missing.status != 0 && missing.stderr.contains("no database"), "\(missing)")
    }
}
