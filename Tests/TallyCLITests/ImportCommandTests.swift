import Foundation
import Testing

/// `tally import`: exactly-once batches, stopping at a malformed line, skipping bad lines, and
/// the options of an existing database.
@Suite struct ImportCommandTests {
    /// The answers compared between databases: exact counts over several groupings.
    static let probes = [
        QuerySpec(metric: "pageview", groupBy: ["country"], every: "day"),
        QuerySpec(metric: "purchase", groupBy: ["device"], measures: ["count", "min", "max"]),
        QuerySpec(metric: "exposure", groupBy: ["experiment", "variant"]),
    ]

    static func answers(_ database: String) throws -> [String] {
        try probes.map { spec in try TallyBinary.run(spec.arguments(database: database)).stdout }
    }

    @Test func importingTwiceCountsOnce() throws {
        let directory = TestDirectory()
        let stream = GeneratedStream.standard
        let file = stream.prefixFile(10_000, in: directory, name: "part.ndjson")
        let database = directory.file("twice.tally")
        let first = try TallyBinary.run(["import", database, file, "--batch-size", "1000"])
        #expect(first.status == 0, "\(first)")
        #expect(first.stdout.contains("imported 10000 events in 10 batches (0 duplicate"), "\(first.stdout)")
        let once = try Self.answers(database)
        let second = try TallyBinary.run(["import", database, file, "--batch-size", "1000"])
        #expect(second.status == 0)
        #expect(second.stdout.contains("imported 0 events in 10 batches (10 duplicate"), "\(second.stdout)")
        #expect(try Self.answers(database) == once)
        let events = try NDJSONOracle.events(inFile: file)
        for spec in Self.probes {
            let output = try TallyBinary.run(spec.arguments(database: database))
            #expect(NDJSONOracle.mismatches(jsonLines: output.lines, spec: spec, expected: NDJSONOracle.answer(spec, events: events)).isEmpty)
        }
    }

    @Test func aMalformedLineStopsWithFileAndLineAndKeepsEarlierBatches() throws {
        let directory = TestDirectory()
        let stream = GeneratedStream.standard
        // Lines 1…2500 are good, line 2501 is not, 2502… would be good again.
        let file = stream.prefixFile(2_500, in: directory, name: "bad.ndjson", appending: [
            #"{"ts":1790812800000,"metric":"pageview","dims":{"country":"US""#, stream.lines[2_500],
        ])
        let database = directory.file("bad.tally")
        let output = try TallyBinary.run(["import", database, file, "--batch-size", "1000"])
        #expect(output.status != 0 && !output.wasSignalled)
        #expect(output.stderr.contains("\(file):2501: "), "\(output.stderr)")
        #expect(output.stderr.contains("2 batches (2000 events)"), "\(output.stderr)")
        let spec = QuerySpec(metric: "pageview", groupBy: ["country"])
        let query = try TallyBinary.run(spec.arguments(database: database))
        let kept = try NDJSONOracle.events(inLines: Array(stream.lines.prefix(2_000)))
        #expect(NDJSONOracle.mismatches(jsonLines: query.lines, spec: spec, expected: NDJSONOracle.answer(spec, events: kept)).isEmpty)
    }

    @Test func skipInvalidReportsTheSkippedLines() throws {
        let directory = TestDirectory()
        let stream = GeneratedStream.standard
        let file = stream.prefixFile(1_500, in: directory, name: "mixed.ndjson", appending: [
            "not json", #"{"ts":-5,"metric":"pageview"}"#, stream.lines[1_500],
        ])
        let database = directory.file("mixed.tally")
        let output = try TallyBinary.run(["import", database, file, "--batch-size", "1000", "--skip-invalid"])
        #expect(output.status == 0, "\(output)")
        #expect(output.stdout.contains("imported 1501 events"), "\(output.stdout)")
        #expect(output.stderr.contains("skipped 2 invalid lines"), "\(output.stderr)")
        #expect(output.stderr.contains("\(file):1501: ") && output.stderr.contains("\(file):1502: "), "\(output.stderr)")
    }

    @Test func optionsOfAnExistingDatabaseCannotChange() throws {
        let directory = TestDirectory()
        let file = GeneratedStream.standard.prefixFile(100, in: directory, name: "small.ndjson")
        let database = directory.file("options.tally")
        #expect(try TallyBinary.run(["import", database, file, "--bucket", "minute", "--partition", "hour"]).status == 0)
        let changed = try TallyBinary.run(["import", database, file, "--bucket", "hour"])
        #expect(changed.status != 0 && changed.stderr.contains("bucket minute"), "\(changed)")
        #expect(try TallyBinary.run(["import", database, file, "--bucket", "minute", "--durability", "normal"]).status == 0)
        let info = try TallyBinary.run(["info", database, "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as! [String: Any]
        let options = object["options"] as! [String: Any]
        #expect(options["bucket"] as? String == "minute" && options["partition"] as? String == "hour")
        #expect((object["events_ingested"] as? NSNumber)?.intValue == 100)
    }

    @Test func standardInputImportsLikeAFile() throws {
        let directory = TestDirectory()
        let file = GeneratedStream.standard.prefixFile(3_000, in: directory, name: "stdin.ndjson")
        let fromFile = directory.file("file.tally")
        let fromStdin = directory.file("stdin.tally")
        #expect(try TallyBinary.run(["import", fromFile, file]).status == 0)
        #expect(try TallyBinary.run(["import", fromStdin, "-"], stdinPath: file).status == 0)
        #expect(try Self.answers(fromStdin) == Self.answers(fromFile))
        // The batch ids do not depend on where the lines came from.
        let again = try TallyBinary.run(["import", fromStdin, file])
        #expect(again.stdout.contains("imported 0 events"), "\(again.stdout)")
    }
}
