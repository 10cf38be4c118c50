import Testing
@testable import Tally
import TallyWorkload

/// Query results and the variant report on the project's generated workload equal the
/// independent brute-force computation over the same raw events, before and after flushes
/// and after reopening.
@Suite struct WorkloadOracleTests {
    static let events: [Event] = WorkloadGenerator(WorkloadOptions(events: 30_000, days: 4, seed: 5)).map { generated in
        Event(
            timestamp: generated.timestamp, metric: generated.metric,
            dimensions: Dictionary(uniqueKeysWithValues: generated.dimensions.map { ($0.key, $0.value) }),
            value: generated.value, unit: generated.unit)
    }

    static let queries: [Query] = [
        Query(metric: "pageview", groupBy: ["utm_source"], measures: [.count, .units]),
        Query(metric: "pageview", filters: ["template_id": ["t0001"], "country": ["US"]], every: .hour),
        Query(metric: "purchase", groupBy: ["country"], every: .day, measures: [.count, .sum, .min, .max, .mean, .units]),
        Query(metric: "exposure", groupBy: ["experiment", "variant"], measures: [.count, .units]),
        Query(metric: "conversion", filters: ["device": ["mobile", "tablet"]], groupBy: ["device"], every: .day,
              from: WorkloadOptions().start + 86_400_000, to: WorkloadOptions().start + 3 * 86_400_000),
        Query(metric: "error", groupBy: ["error_type", "device"], measures: [.count, .units]),
    ]

    func check(_ db: Tally, _ events: ArraySlice<Event>, stage: String) throws {
        let events = Array(events)
        for query in Self.queries {
            let problems = Oracle.mismatches(try db.query(query), Oracle.answer(query, events: events, bucket: 3_600_000))
            #expect(problems.isEmpty, "\(stage) \(query.metric): \(problems.prefix(3))")
        }
        var oracle = ExperimentOracle()
        oracle.ingest(events)
        for experiment in WorkloadModel.experiments.map(\.name) {
            let report = try db.variantReport(experiment: experiment)
            #expect(oracle.mismatches(report).isEmpty, "\(stage) \(experiment): \(oracle.mismatches(report).prefix(3))")
        }
    }

    @Test func queriesAndReportsEqualTheOracle() throws {
        let directory = TestDirectory()
        let path = directory.file("w.tally")
        var options = Options()
        options.durability = .off
        var db = try Tally.open(at: path, options: options)
        let half = Self.events.count / 2
        for (index, start) in stride(from: 0, to: half, by: 5_000).enumerated() {
            try db.ingest(Array(Self.events[start..<min(start + 5_000, half)]), batchID: "first-\(index)")
        }
        try check(db, Self.events[..<half], stage: "head")
        try db.flush()
        try check(db, Self.events[..<half], stage: "flushed")
        for (index, start) in stride(from: half, to: Self.events.count, by: 5_000).enumerated() {
            try db.ingest(Array(Self.events[start..<min(start + 5_000, Self.events.count)]), batchID: "second-\(index)")
        }
        try check(db, Self.events[...], stage: "segments+head")
        try db.close()
        db = try Tally.open(at: path, options: options)
        try check(db, Self.events[...], stage: "reopened")
        #expect(try db.verify().isClean)
    }
}
