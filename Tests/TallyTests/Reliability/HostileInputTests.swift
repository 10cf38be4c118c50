import Foundation
import Testing
@testable import Tally
import TallyTesting

/// Issue 7, procedure 7 (PRODUCT.md rules 1, 4, 6): hostile input through the API: every limit
/// and the values just past it, extreme times and values, absurd query and report arguments,
/// and NDJSON that is malformed, not UTF-8, deeply nested or enormous. Each is accepted or
/// refused with a clear error (the right code, the event index or the line), never a crash, and
/// a refused call changes nothing stored.
@Suite struct HostileInputTests {
    /// A database holding a little of everything, and its answers.
    func populated() throws -> (Tally, CorruptionProbe.Answers) {
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(SimulatedFileSystem()))
        let workload = CrashWorkload(seed: 2)
        for index in 0..<4 {
            let key = BatchKey(stream: 0, index: index)
            try db.ingest(workload.events(key), batchID: key.id)
            if index == 1 { try db.flush() }
        }
        return (db, try CorruptionProbe.Answers.of(db))
    }

    static let event = Event(timestamp: Fixtures.start, metric: CrashWorkload.tagMetric, dimensions: ["batch": "hostile"])

    static func with(_ change: (inout Event) -> Void) -> Event {
        var event = Self.event
        change(&event)
        return event
    }

    /// Events just past each limit (Limits, Event): each rejects its whole batch.
    static let rejectedEvents: [(String, Event)] = [
        ("timestamp Int64.min", with { $0.timestamp = .min }),
        ("timestamp -1", with { $0.timestamp = -1 }),
        ("timestamp Int64.max", with { $0.timestamp = .max }),
        ("timestamp year 10000", with { $0.timestamp = Limits.timestampRange.upperBound }),
        ("metric 65 bytes", with { $0.metric = String(repeating: "m", count: 65) }),
        ("metric with a NUL", with { $0.metric = "m\u{0}" }),
        ("metric non-ASCII", with { $0.metric = "mé" }),
        ("value NaN", with { $0.value = .nan }),
        ("value -infinity", with { $0.value = -.infinity }),
        ("unit empty", with { $0.unit = "" }),
        ("unit 130 bytes", with { $0.unit = String(repeating: "é", count: 65) }),
        ("unit with a newline", with { $0.unit = "a\nb" }),
        ("17 dimensions", with { event in for i in 0..<17 { event.dimensions["k\(i)"] = "v" } }),
        ("dimension key empty", with { $0.dimensions[""] = "v" }),
        ("dimension value 257 bytes", with { $0.dimensions["k"] = String(repeating: "v", count: 257) }),
        ("dimension value with DEL", with { $0.dimensions["k"] = "\u{7F}" }),
    ]

    /// Values at the edges that are valid: accepted, and read back exactly (or, for sums past
    /// the largest double, as infinity, which is what IEEE addition gives).
    static let acceptedEvents: [(String, Event)] = [
        ("timestamp 0", with { $0.timestamp = 0 }),
        ("timestamp last ms of year 9999", with { $0.timestamp = Limits.timestampRange.upperBound - 1 }),
        ("value greatest finite", with { $0.value = .greatestFiniteMagnitude }),
        ("value least nonzero", with { $0.value = .leastNonzeroMagnitude }),
        ("value -0", with { $0.value = -0.0 }),
        ("unit 128 bytes", with { $0.unit = String(repeating: "é", count: 64) }),
        ("16 dimensions", with { event in for i in 0..<15 { event.dimensions["k\(i)"] = String(repeating: "v", count: 256) } }),
        ("dimension value empty", with { $0.dimensions["k"] = "" }),
    ]

    @Test func everyLimitRejectsTheBatchAndStoresNothing() throws {
        let (db, before) = try populated()
        for (name, bad) in Self.rejectedEvents {
            let batch = [Self.event, Self.event, bad, Self.event]
            let error = #expect(throws: TallyError.self, "\(name)") { try db.ingest(batch, batchID: "hostile \(name)") }
            #expect(error?.code == .invalidBatch && error?.problems.map(\.index) == [2], "\(name): \(String(describing: error))")
        }
        for (name, batchID) in [("empty batch id", ""), ("batch id of 257 bytes", String(repeating: "b", count: 257))] {
            let error = #expect(throws: TallyError.self, "\(name)") { try db.ingest([Self.event], batchID: batchID) }
            #expect(error?.code == .invalidArgument, "\(name)")
        }
        #expect(try CorruptionProbe.Answers.of(db) == before, "a rejected batch changed the answers")
        try db.close()
    }

    @Test func edgeValuesAreAcceptedAndReadBack() throws {
        for (name, event) in Self.acceptedEvents {
            let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(SimulatedFileSystem()))
            #expect(try db.ingest([event, event]).accepted == 2, "\(name)")
            for stage in ["head", "segment"] {
                let row = try db.query(Query(metric: event.metric, measures: Set(Measure.allCases))).rows.first
                #expect(row?.count == 2, "\(name) \(stage)")
                if let value = event.value {
                    let sum = value + value
                    #expect(row?.sum == sum && row?.min == value && row?.max == value, "\(name) \(stage): \(String(describing: row))")
                }
                try db.flush()
            }
            #expect(try db.verify().isClean, "\(name)")
        }
    }

    /// Queries with absurd arguments: refused as invalid arguments or answered, never a trap.
    /// Regression: `every` of nearly 2^63 ms made flooring a 1970 bucket to the slot grid
    /// overflow and trap; slots are now at most ``Query/maxSlotMilliseconds``.
    @Test func absurdQueriesAreRefusedOrAnswered() throws {
        let (db, _) = try populated()
        let early = Event(timestamp: 0, metric: CrashWorkload.tagMetric, dimensions: ["batch": "1970"], value: 1)
        try db.ingest([early])
        let metric = CrashWorkload.tagMetric
        let hour = Granularity.hour.milliseconds
        let largestSlot = Int64.max - Int64.max % hour
        let queries: [Query] = [
            Query(metric: metric, every: .milliseconds(largestSlot)),
            Query(metric: metric, every: .milliseconds(hour * (1 << 40))),
            Query(metric: metric, every: .milliseconds(.min)),
            Query(metric: metric, every: .milliseconds(0)),
            Query(metric: metric, every: .milliseconds(hour + 1)),
            Query(metric: metric, from: .min, to: .max, measures: Set(Measure.allCases)),
            Query(metric: metric, from: .max, to: .min),
            Query(metric: metric, every: .hour, from: .max - 1, to: .max),
            Query(metric: metric, groupBy: ["batch", "batch"]),
            Query(metric: metric, groupBy: (0..<500).map { "k\($0)" }),
            Query(metric: metric, filters: ["batch": Set((0..<10_000).map { "v\($0)" })]),
            Query(metric: ""),
            Query(metric: String(repeating: "x", count: 100_000)),
            Query(metric: metric, measures: []),
        ]
        for query in queries {
            do {
                _ = try db.query(query)
            } catch let error as TallyError {
                #expect(error.code == .invalidArgument, "\(query): \(error)")
            }
        }
    }

    @Test func absurdReportAndRetentionArgumentsAreRefusedOrApplied() throws {
        let (db, before) = try populated()
        let experiment = CrashWorkload.experiment
        for weights in [[Double.nan], [-1], [.infinity], [0], [Double](repeating: 1, count: 9), []] {
            let error = #expect(throws: TallyError.self, "\(weights)") {
                try db.variantReport(experiment: experiment, weights: weights)
            }
            #expect(error?.code == .invalidArgument)
        }
        for (experiment, control) in [("no such experiment", nil), (experiment, "no such variant")] {
            let error = #expect(throws: TallyError.self) { try db.variantReport(experiment: experiment, control: control) }
            #expect(error?.code == .invalidArgument)
        }
        _ = try db.variantReport(experiment: experiment, metrics: ["no such metric", ""])
        for cutoff in [Int64.min, Int64.min + 1, -1, 0] {
            _ = try db.applyRetention(before: cutoff, dryRun: true)
            _ = try db.applyRetention(before: cutoff)
        }
        #expect(try CorruptionProbe.Answers.of(db) == before, "retention below every partition dropped data")
        for keep in [Int64.max, 1, Int64.min] {
            do { _ = try db.applyRetention(keeping: keep, dryRun: true) } catch let error as TallyError {
                #expect(error.code == .invalidArgument)
            }
        }
        _ = try db.applyRetention(before: .max, dryRun: true)
        _ = try db.applyRetention(before: .max)
        #expect(try db.query(Query(metric: CrashWorkload.tagMetric)).rows.isEmpty)
        #expect(try db.verify().isClean)
    }

    /// Hostile NDJSON through `importNDJSON`: the import stops at the bad line with its number
    /// and stores nothing of the batch it is in (a batch of one line here).
    @Test func hostileNDJSONStopsAtTheLineAndStoresNothing() throws {
        let directory = TestDirectory()
        let good = Array(#"{"ts":1790812800000,"metric":"rel","dims":{"batch":"ndjson"}}"#.utf8)
        let lines: [(String, [UInt8])] = [
            ("not JSON", Array("hello".utf8)),
            ("a JSON array", Array("[1,2]".utf8)),
            ("truncated object", Array(good.dropLast(3))),
            ("invalid UTF-8 in a value", Array(#"{"ts":1790812800000,"metric":"rel","dims":{"batch":""#.utf8) + [0xC3, 0x28] + Array(#""}}"#.utf8)),
            ("overlong UTF-8 encoding", Array(#"{"ts":1,"metric":"rel","dims":{"k":""#.utf8) + [0xC0, 0xAF] + Array(#""}}"#.utf8)),
            ("NUL byte", Array(#"{"ts":1790812800000,"metric":"rel"}"#.utf8).map { $0 == UInt8(ascii: "r") ? 0 : $0 }),
            ("nested 10 000 deep", Array((#"{"ts":1,"metric":"rel","x":"# + String(repeating: "[", count: 10_000)).utf8)),
            ("ts as 1e400", Array(#"{"ts":1e400,"metric":"rel"}"#.utf8)),
            ("ts of 30 digits", Array(#"{"ts":123456789012345678901234567890,"metric":"rel"}"#.utf8)),
            ("value 1e400", Array(#"{"ts":1790812800000,"metric":"rel","value":1e400}"#.utf8)),
            ("duplicate keys", Array(#"{"ts":1790812800000,"metric":"rel","metric":"x"}"#.utf8)),
            ("line of 2 MiB", Array(#"{"ts":1790812800000,"metric":"rel","dims":{"k":""#.utf8) + [UInt8](repeating: 0x61, count: 2 << 20)),
            ("missing metric", Array(#"{"ts":1790812800000}"#.utf8)),
            ("a lone surrogate escape", Array(#"{"ts":1790812800000,"metric":"rel","unit":"\ud800"}"#.utf8)),
        ]
        var options = ImportOptions()
        options.batchSize = 1
        for (name, line) in lines {
            let (db, before) = try populated()
            let path = directory.file("hostile.ndjson")
            FileManager.default.createFile(atPath: path, contents: Data(good + [10] + line + [10] + good))
            do {
                let summary = try db.importNDJSON(fromPath: path, options: options)
                Issue.record("\(name): imported \(summary.events) events without an error")
            } catch let error as ImportLineError {
                #expect(error.line == 2, "\(name): \(error)")
                #expect(error.summary?.events == 1, "\(name): \(error)")
            }
            // Only the good first line was stored.
            let total = { try db.query(Query(metric: CrashWorkload.tagMetric)).rows.first?.count ?? 0 }
            #expect(try total() == (before.results[1].rows.reduce(0) { $0 + $1.count }) + 1, "\(name)")
            #expect(try db.query(Query(metric: "rel", filters: ["batch": ["ndjson"]])).rows.first?.count == 1, "\(name)")
            #expect(try db.verify().isClean)
            try db.close()
        }
    }

    /// Memory while importing, in a process of its own (`tally-stress probe --import`): an
    /// endless line is refused after 1 MiB, and many lines cost the rollups they fill, not
    /// their number (PRODUCT.md rule 6).
    @Test func importMemoryIsBoundedByConfigurationNotInput() throws {
        let directory = TestDirectory()
        let endless = directory.file("endless.ndjson")
        var line = Array(#"{"ts":1790812800000,"metric":"rel","dims":{"k":""#.utf8)
        line += [UInt8](repeating: 0x61, count: 32 << 20)
        FileManager.default.createFile(atPath: endless, contents: Data(line))
        let many = directory.file("many.ndjson")
        var text = ""
        for i in 0..<100_000 {
            text += #"{"ts":\#(1_790_812_800_000 + i * 1000),"metric":"pageview","unit":"u\#(i % 5000)","dims":{"country":"C\#(i % 7)","page":"/p\#(i % 13)"}}"# + "\n"
        }
        FileManager.default.createFile(atPath: many, contents: Data(text.utf8))
        var figures: [String: Int] = [:]
        for (name, input, expected) in [("endless line", endless, "error line 1"), ("100 000 lines", many, "imported 100000")] {
            let (status, lines) = try StressBinary.run(["probe", directory.file("\(figures.count).tally"), "--import", input])
            let output = lines.first { $0.hasPrefix("probe ") } ?? ""
            #expect(status == 0 && output.contains("outcome=\(expected)"), "\(name): \(lines)")
            let growth = Int(output.split(separator: " ").first { $0.hasPrefix("peak_growth_kib=") }?.dropFirst(16) ?? "") ?? -1
            #expect(growth >= 0 && growth < 48 * 1024, "\(name): grew \(growth) KiB")
            figures[name] = growth
        }
        ReliabilitySettings.report("hostile-import-memory", [
            "endless_line_32MiB_growth_kib": figures["endless line"] ?? -1,
            "lines_100k_growth_kib": figures["100 000 lines"] ?? -1,
        ])
    }
}
