import Testing
@testable import Tally
import TallyTesting

/// Experiment state survives compaction (its blocks are rewritten into the new file),
/// retention (which does not touch it) and many flushes (a base instead of a 65th block, X4).
@Suite struct ExperimentPersistenceTests {
    func batch(_ round: Int, _ random: inout RandomEvents) -> [Event] {
        (0..<200).map { _ in
            let unit = "u\(random.below(120))"
            let ts = Fixtures.start + Int64(round) * 3_600_000 + Int64(random.below(3_600_000))
            switch random.below(4) {
            case 0:
                return Event(timestamp: ts, metric: "exposure",
                             dimensions: ["experiment": "e", "variant": ["control", "b"][random.below(2)]], unit: unit)
            case 1: return Event(timestamp: ts, metric: "purchase", value: Double(random.below(500)), unit: unit)
            default: return Event(timestamp: ts, metric: "pageview", unit: unit)
            }
        }
    }

    @Test func reportSurvivesManyFlushesCompactionRetentionAndReopen() throws {
        let fileSystem = SimulatedFileSystem()
        var db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        var random = RandomEvents(seed: 21)
        var oracle = ExperimentOracle()
        for round in 0..<70 {
            let events = batch(round, &random)
            try db.ingest(events)
            oracle.ingest(events)
            try db.flush()
        }
        #expect(db.engine.stateLock.withLock { db.engine.catalog.experimentBlocks.count } <= 64)
        let report = try db.variantReport(experiment: "e")
        #expect(oracle.mismatches(report).isEmpty)
        try db.compact()
        #expect(try db.variantReport(experiment: "e") == report)
        try db.applyRetention(before: Fixtures.start + 50 * 3_600_000)
        #expect(try db.variantReport(experiment: "e") == report)
        try db.close()
        db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        #expect(try db.variantReport(experiment: "e") == report)
        #expect(try db.verify().isClean)
    }
}

/// A read-only handle may skip the experiment state; its report calls then fail clearly.
@Suite struct ReadOnlyWithoutExperimentsTests {
    @Test func queriesWorkReportsRefuse() throws {
        let fileSystem = SimulatedFileSystem()
        let writer = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        try writer.ingest([
            Event(timestamp: Fixtures.start, metric: "exposure", dimensions: ["experiment": "e", "variant": "a"], unit: "u"),
            Event(timestamp: Fixtures.start + 1, metric: "m", unit: "u"),
        ])
        var options = Fixtures.options(fileSystem)
        options.readOnly = true
        options.loadsExperimentState = false
        let reader = try Tally.open(at: Fixtures.path, options: options)
        #expect(try reader.query(Query(metric: "m")).rows.first?.count == 1)
        let error = #expect(throws: TallyError.self) { try reader.variantReport(experiment: "e") }
        #expect(error?.code == .invalidArgument)
        options.loadsExperimentState = true
        #expect(try Tally.open(at: Fixtures.path, options: options).variantReport(experiment: "e").units == 1)
    }
}

/// A read-only open reads only the aggregates of the last experiment block when the log is
/// empty, and the full state when the log has batches to replay; reports agree either way.
@Suite struct ReadOnlyExperimentLoadingTests {
    @Test func aggregatesOnlyWhenTheLogIsEmpty() throws {
        let fileSystem = SimulatedFileSystem()
        let writer = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        var random = RandomEvents(seed: 8)
        for round in 0..<3 {
            try writer.ingest(ExperimentPersistenceTests().batch(round, &random))
            try writer.flush()
        }
        var options = Fixtures.options(fileSystem)
        options.readOnly = true
        let flushedReader = try Tally.open(at: Fixtures.path, options: options)
        #expect(flushedReader.engine.stateLock.withLock { flushedReader.engine.experiments.aggregatesOnly })
        #expect(try flushedReader.variantReport(experiment: "e") == writer.variantReport(experiment: "e"))

        try writer.ingest(ExperimentPersistenceTests().batch(3, &random))  // now in the log only
        let replayingReader = try Tally.open(at: Fixtures.path, options: options)
        #expect(!replayingReader.engine.stateLock.withLock { replayingReader.engine.experiments.aggregatesOnly })
        #expect(try replayingReader.variantReport(experiment: "e") == writer.variantReport(experiment: "e"))
    }
}

/// Credits of metrics past the assignment's 32-bit mask (kept beside it in memory) and past the
/// block's 64-bit mask (listed per assignment) survive deltas, a base, compaction and reopening.
@Suite struct ManyCreditedMetricsTests {
    @Test func creditsOfEightyMetricsSurviveFlushesCompactionAndReopen() throws {
        let fileSystem = SimulatedFileSystem()
        var db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        var random = RandomEvents(seed: 33)
        var oracle = ExperimentOracle()
        for round in 0..<12 {
            let events: [Event] = (0..<300).map { _ in
                let unit = "u\(random.below(40))"
                let ts = Fixtures.start + Int64(round) * 3_600_000 + Int64(random.below(3_600_000))
                if random.below(5) == 0 {
                    return Event(timestamp: ts, metric: "exposure",
                                 dimensions: ["experiment": "e", "variant": ["control", "b"][random.below(2)]], unit: unit)
                }
                return Event(timestamp: ts, metric: "m\(random.below(80))", value: Double(random.below(9)), unit: unit)
            }
            try db.ingest(events)
            oracle.ingest(events)
            try db.flush()
        }
        let report = try db.variantReport(experiment: "e")
        #expect(oracle.mismatches(report).isEmpty)
        #expect(report.variants.allSatisfy { $0.metrics.count > 64 })
        try db.close()
        db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        #expect(try db.variantReport(experiment: "e") == report)
        try db.compact()
        try db.close()
        db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        #expect(try db.variantReport(experiment: "e") == report)
        #expect(try db.verify().isClean)
    }
}
