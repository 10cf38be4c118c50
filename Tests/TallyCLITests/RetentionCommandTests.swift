import Foundation
import Testing

/// `tally retention`: after it, queries equal the independent computation restricted to the
/// surviving partitions; `--dry-run` predicts it and changes nothing, also beside a running
/// writer; without `--dry-run` a writer holding the lock makes it fail, naming the holder.
@Suite struct RetentionCommandTests {
    static let day: Int64 = 86_400_000

    /// Answers compared with the oracle, and between states of one database.
    static let probes = [
        QuerySpec(metric: "pageview", groupBy: ["country"], every: "day", measures: ["count", "units"]),
        QuerySpec(metric: "pageview", groupBy: ["device", "utm_source"], measures: ["count", "units"]),
        QuerySpec(metric: "purchase", groupBy: ["device"], every: "hour", measures: ["count", "sum", "min", "max", "mean"]),
        QuerySpec(metric: "exposure", groupBy: ["experiment", "variant"], measures: ["count", "units"]),
        QuerySpec(metric: "conversion", every: "hour"),
        QuerySpec(metric: "error", groupBy: ["error_type"], every: "day"),
    ]

    static func answers(_ database: String) throws -> [String] {
        var answers = try probes.map { spec in try TallyBinary.run(spec.arguments(database: database)).stdout }
        answers.append(try TallyBinary.run(["report", database, "--format", "json"]).stdout)
        for experiment in ["checkout_button", "pricing_page"] {
            answers.append(try TallyBinary.run(["report", database, experiment, "--format", "json"]).stdout)
        }
        return answers
    }

    static func mismatches(_ database: String, events: [OracleEvent]) throws -> [String] {
        try probes.flatMap { spec in
            let output = try TallyBinary.run(spec.arguments(database: database))
            return NDJSONOracle.mismatches(jsonLines: output.lines, spec: spec, expected: NDJSONOracle.answer(spec, events: events))
                .map { "\(spec): \($0)" }
        }
    }

    static func object(_ output: TallyBinary.Output) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8))) as? [String: Any] ?? [:]
    }

    static func integers(_ value: Any?) -> [Int64] { (value as? [NSNumber] ?? []).map(\.int64Value) }

    @Test func retentionThenQueryEqualsTheSurvivingPartitions() throws {
        let directory = TestDirectory()
        let database = try RecentDatabase.shared.copy(in: directory)
        let stream = RecentDatabase.shared.stream
        let horizon = stream.start + Self.day  // the cutoff, noon of the second day, rounded down
        let cutoff = TimeArgumentFormat.instant(stream.start + Self.day + Self.day / 2)
        let dropped = stream.events.filter { NDJSONOracle.floorToGrid($0.timestamp, Self.day) < horizon }
        let survivors = stream.events.filter { NDJSONOracle.floorToGrid($0.timestamp, Self.day) >= horizon }
        #expect(!dropped.isEmpty && !survivors.isEmpty)
        let answersBefore = try Self.answers(database)
        let bytesBefore = try Data(contentsOf: URL(fileURLWithPath: database))

        let dryRun = try TallyBinary.run(["retention", database, "--before", cutoff, "--dry-run", "--format", "json"])
        #expect(dryRun.status == 0, "\(dryRun)")
        let predicted = Self.object(dryRun)
        #expect(predicted["dry_run"] as? Bool == true)
        #expect((predicted["horizon"] as? NSNumber)?.int64Value == horizon)
        #expect(Self.integers(predicted["partitions"]) == [stream.start])
        #expect((predicted["events"] as? NSNumber)?.intValue == dropped.count)
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == bytesBefore, "--dry-run changed the file")
        #expect(try Self.answers(database) == answersBefore, "--dry-run changed an answer")

        let applied = try TallyBinary.run(["retention", database, "--before", cutoff, "--format", "json"])
        #expect(applied.status == 0, "\(applied)")
        let result = Self.object(applied)
        #expect(result["dry_run"] as? Bool == false)
        for key in ["horizon", "partitions", "segments", "rows", "events", "bytes"] {
            #expect("\(result[key] ?? "-")" == "\(predicted[key] ?? "-")", "\(key): the dry run predicted otherwise")
        }
        #expect(((result["segments"] as? NSNumber)?.intValue ?? 0) >= RecentDatabase.parts, "one or more per imported part")
        let problems = try Self.mismatches(database, events: survivors)
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        // Experiment state is not touched by retention.
        let reports = try Self.answers(database).suffix(3)
        #expect(Array(reports) == Array(answersBefore.suffix(3)))

        let again = try TallyBinary.run(["retention", database, "--before", cutoff])
        #expect(again.status == 0 && again.stdout.contains("nothing to drop"), "\(again)")
        #expect(try TallyBinary.run(["verify", database]).status == 0)
    }

    @Test func keepIsRelativeToNowAndCompactReclaimsTheBytes() throws {
        let directory = TestDirectory()
        let database = try RecentDatabase.shared.copy(in: directory)
        let stream = RecentDatabase.shared.stream
        // A span ending at noon of the second day: the first partition ends before it.
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let keep = "\((now - (stream.start + Self.day + Self.day / 2)) / 60_000)m"

        let dryRun = try TallyBinary.run(["retention", database, "--keep", keep, "--dry-run"])
        #expect(dryRun.status == 0 && dryRun.stdout.hasPrefix("would drop 1 partition, "), "\(dryRun)")
        #expect(dryRun.stdout.contains("partitions: \(TimeArgumentFormat.date(stream.start))\n"), "\(dryRun.stdout)")

        let sizeBefore = try RecentDatabase.size(database)
        let applied = try TallyBinary.run(["retention", database, "--keep", keep, "--compact"])
        #expect(applied.status == 0, "\(applied)")
        for expected in ["dropped 1 partition", "compacted \(database)", "file:", "→"] {
            #expect(applied.stdout.contains(expected), "missing \(expected): \(applied.stdout)")
        }
        #expect(try RecentDatabase.size(database) < sizeBefore)
        let survivors = stream.events.filter { NDJSONOracle.floorToGrid($0.timestamp, Self.day) >= stream.start + Self.day }
        let problems = try Self.mismatches(database, events: survivors)
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(try TallyBinary.run(["verify", database]).status == 0)
    }

    @Test func aDryRunWorksBesideAWriterAndRetentionNamesTheHolder() throws {
        let directory = TestDirectory()
        let database = try RecentDatabase.shared.copy(in: directory)
        let cutoff = String(RecentDatabase.shared.stream.start + 2 * Self.day)
        // The writer adds events of the last day, which the cutoff keeps.
        let writer = try DatabaseProbe.writerHoldingTheLock(on: database, committing: RecentDatabase.shared.stream.lines.suffix(100))
        defer { if writer.isRunning { writer.kill() } }

        let dryRun = try TallyBinary.run(["retention", database, "--before", cutoff, "--dry-run"])
        #expect(dryRun.status == 0 && dryRun.stdout.hasPrefix("would drop 2 partitions"), "\(dryRun)")
        let refused = try TallyBinary.run(["retention", database, "--before", cutoff])
        #expect(refused.status == 1 && refused.stdout.isEmpty, "\(refused)")
        #expect(refused.stderr.contains("cannot apply retention: the database is locked by process \(writer.process.processIdentifier)"),
                "\(refused.stderr)")
        writer.kill()
        _ = writer.wait()
        // Nothing was dropped: the dry run still finds the same two partitions.
        let after = try TallyBinary.run(["retention", database, "--before", cutoff, "--dry-run"])
        #expect(after.stdout.hasPrefix("would drop 2 partitions"), "\(after)")
    }

    @Test func nothingToDropSaysSo() throws {
        let directory = TestDirectory()
        let database = try RecentDatabase.shared.copy(in: directory)
        let early = TimeArgumentFormat.date(RecentDatabase.shared.stream.start - 10 * Self.day)
        for extra in [["--dry-run"], []] {
            let output = try TallyBinary.run(["retention", database, "--before", early] + extra)
            #expect(output.status == 0 && output.stdout.hasPrefix("nothing to drop: no data before \(early)"), "\(output)")
        }
    }

    @Test func badArgumentsFailOnStandardError() throws {
        let path = ImportedDatabase.standard.path
        for arguments in [
            ["retention", path],
            ["retention", path, "--keep", "30d", "--before", "2026-10-02"],
            ["retention", path, "--keep", "30x"],
            ["retention", path, "--keep", "0d"],
            ["retention", path, "--keep", "d"],
            ["retention", path, "--before", "last week"],
            ["retention", path, "--keep", "30d", "--dry-run", "--compact"],
            ["retention", path + ".missing", "--keep", "30d"],
            ["retention", path + ".missing", "--keep", "30d", "--dry-run"],
        ] {
            let output = try TallyBinary.run(arguments)
            #expect(output.status != 0 && !output.wasSignalled && output.stdout.isEmpty && !output.stderr.isEmpty, "\(arguments): \(output)")
        }
    }
}

/// Times as the CLI accepts them, formatted with Foundation (independent of the CLI's code).
enum TimeArgumentFormat {
    static func instant(_ milliseconds: Int64) -> String { format(milliseconds, [.withInternetDateTime]) }
    static func date(_ milliseconds: Int64) -> String { format(milliseconds, [.withFullDate]) }

    private static func format(_ milliseconds: Int64, _ options: ISO8601DateFormatter.Options) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = options
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
