import Foundation
import Tally
import Testing

/// `tally query` against an independent computation over the same NDJSON: every option, each
/// output format. Counts, extremes and row order must match exactly.
@Suite struct QueryCommandTests {
    static var specs: [QuerySpec] {
        let day2 = "2026-10-02"
        let noonDay2 = "2026-10-02T12:00:00Z"
        let start = GeneratedStream.standard.start
        return [
            QuerySpec(metric: "pageview"),
            QuerySpec(metric: "pageview", groupBy: ["country"], measures: ["count", "units"]),
            QuerySpec(metric: "pageview", groupBy: ["device", "utm_source"], every: "day"),
            QuerySpec(metric: "pageview", filters: [("country", ["US"])], every: "hour", measures: ["count", "units"]),
            QuerySpec(metric: "purchase", filters: [("country", ["US", "DE", "IN"])], groupBy: ["device"],
                      measures: ["count", "sum", "min", "max", "mean", "units"]),
            QuerySpec(metric: "purchase", groupBy: ["country"], every: "day", from: day2, measures: ["count", "sum", "mean"]),
            QuerySpec(metric: "conversion", every: "hour", from: String(start + 5 * 3_600_000), to: noonDay2),
            QuerySpec(metric: "exposure", filters: [("experiment", ["checkout_button"])], groupBy: ["variant"],
                      measures: ["count", "units"]),
            // Repeated --where on one key keeps the values common to both.
            QuerySpec(metric: "pageview", filters: [("country", ["US", "DE"]), ("country", ["DE", "FR"])], groupBy: ["country"]),
            // A group-by key some events lack groups them under null.
            QuerySpec(metric: "error", groupBy: ["error_type", "country"], measures: ["count", "units"]),
            QuerySpec(metric: "no_such_metric"),
        ]
    }

    @Test(arguments: QueryCommandTests.specs)
    func jsonRowsMatchTheOracle(_ spec: QuerySpec) throws {
        let database = ImportedDatabase.standard
        let output = try TallyBinary.run(spec.arguments(database: database.path))
        #expect(output.status == 0, "\(output)")
        var oracleSpec = spec
        oracleSpec.filters = Self.intersected(spec.filters)
        let expected = NDJSONOracle.answer(oracleSpec, events: GeneratedStream.standard.events)
        let problems = NDJSONOracle.mismatches(jsonLines: output.lines, spec: spec, expected: expected)
        #expect(problems.isEmpty, "\(spec): \(problems.prefix(5))")
    }

    @Test func csvHasAHeaderAndTheSameRows() throws {
        let database = ImportedDatabase.standard
        let spec = QuerySpec(metric: "purchase", groupBy: ["country"], every: "day", measures: ["count", "sum"])
        let json = try TallyBinary.run(spec.arguments(database: database.path))
        let csv = try TallyBinary.run(spec.arguments(database: database.path).map { $0 == "json" ? "csv" : $0 })
        #expect(csv.status == 0)
        #expect(csv.lines.first == "time,country,count,sum")
        #expect(csv.lines.count == json.lines.count + 1)
        let expected = NDJSONOracle.answer(spec, events: GeneratedStream.standard.events)
        let total = csv.lines.dropFirst().map { Int($0.split(separator: ",", omittingEmptySubsequences: false)[2])! }.reduce(0, +)
        #expect(total == expected.values.reduce(0) { $0 + $1.count })
    }

    @Test func tableNotesThatUnitsAreEstimates() throws {
        let output = try TallyBinary.run(["query", ImportedDatabase.standard.path, "pageview", "--by", "device", "--measures", "count,units"])
        #expect(output.status == 0)
        #expect(output.lines.first?.split(separator: " ").map(String.init) == ["device", "count", "units"])
        #expect(output.stdout.contains("HyperLogLog estimates"))
    }

    @Test func minuteRowsNeedAMinuteBucket() throws {
        let directory = TestDirectory()
        let stream = GeneratedStream.standard
        let file = stream.prefixFile(3_000, in: directory, name: "head.ndjson")
        let hourly = directory.file("hourly.tally")
        #expect(try TallyBinary.run(["import", hourly, file]).status == 0)
        let refused = try TallyBinary.run(["query", hourly, "pageview", "--every", "minute"])
        #expect(refused.status != 0 && refused.stderr.contains("multiple of the database bucket"), "\(refused)")

        let minutely = directory.file("minutely.tally")
        #expect(try TallyBinary.run(["import", minutely, file, "--bucket", "minute", "--partition", "hour"]).status == 0)
        let spec = QuerySpec(metric: "pageview", groupBy: ["device"], every: "minute", measures: ["count", "units"])
        let output = try TallyBinary.run(spec.arguments(database: minutely))
        let expected = NDJSONOracle.answer(spec, events: try NDJSONOracle.events(inFile: file), bucket: 60_000)
        #expect(NDJSONOracle.mismatches(jsonLines: output.lines, spec: spec, expected: expected).isEmpty)
    }

    @Test func rowsAtACoarserBucketThanEveryAreNoted() throws {
        let directory = TestDirectory()
        let stream = GeneratedStream.standard
        let file = stream.prefixFile(3_000, in: directory, name: "coarse.ndjson")
        let database = directory.file("coarse.tally")
        #expect(try TallyBinary.run(["import", database, file]).status == 0)
        // Downsampled through the library with a fixed clock, so that the stream's dates need
        // not be in the past (`tally compact --downsample` is tested on a recent stream).
        var options = Options()
        options.clock = FixedClock(instant: stream.start + 30 * 86_400_000)
        let handle = try Tally.open(at: database, options: options)
        try handle.compact(options: CompactOptions(downsample: [(olderThan: 3_600_000, bucket: .day)]))
        try handle.close()

        let table = try TallyBinary.run(["query", database, "pageview", "--every", "hour"])
        #expect(table.status == 0 && table.stdout.contains("coarser bucket (day) than --every (hour)"), "\(table)")
        let spec = QuerySpec(metric: "pageview", every: "day")
        let json = try TallyBinary.run(spec.arguments(database: database).map { $0 == "day" ? "hour" : $0 })
        let expected = NDJSONOracle.answer(spec, events: try NDJSONOracle.events(inFile: file))
        #expect(NDJSONOracle.mismatches(jsonLines: json.lines, spec: spec, expected: expected).isEmpty, "\(json)")
    }

    @Test func badArgumentsFailOnStandardError() throws {
        let path = ImportedDatabase.standard.path
        for arguments in [
            ["query", path, "pageview", "--from", "yesterday"],
            ["query", path, "pageview", "--measures", "count,median"],
            ["query", path, "pageview", "--where", "country"],
            ["query", path, "pageview", "--every", "fortnight"],
            ["query", path + ".missing", "pageview"],
        ] {
            let output = try TallyBinary.run(arguments)
            #expect(output.status != 0 && !output.wasSignalled && output.stdout.isEmpty && !output.stderr.isEmpty, "\(arguments): \(output)")
        }
    }

    /// What the engine does with a repeated key: keep the values all `--where`s allow.
    static func intersected(_ filters: [(key: String, values: [String])]) -> [(key: String, values: [String])] {
        var merged: [(key: String, values: [String])] = []
        for filter in filters {
            if let index = merged.firstIndex(where: { $0.key == filter.key }) {
                merged[index].values = merged[index].values.filter(filter.values.contains)
            } else {
                merged.append(filter)
            }
        }
        return merged
    }
}

/// A wall clock that stays at one instant.
struct FixedClock: WallClock {
    var instant: Int64
    func nowMilliseconds() -> Int64 { instant }
}
