import Testing
@testable import Tally
import TallyTesting

/// The attribution rule and its persistence.
@Suite struct ExperimentStateTests {
    static let t0: Int64 = 1_790_812_800_000

    func exposure(_ unit: String, _ variant: String, at ts: Int64, experiment: String = "e1") -> Event {
        Event(timestamp: ts, metric: "exposure", dimensions: ["experiment": experiment, "variant": variant], unit: unit)
    }

    func purchase(_ unit: String, _ value: Double, at ts: Int64) -> Event {
        Event(timestamp: ts, metric: "purchase", value: value, unit: unit)
    }

    @Test func firstExposureWinsConflictsAreCountedEarlierEventsAreNotCredited() throws {
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(SimulatedFileSystem()))
        let t = ExperimentStateTests.t0
        try db.ingest([
            purchase("a", 5, at: t + 10),  // before any exposure: not credited
            exposure("a", "control", at: t + 100),
            purchase("a", 7, at: t + 50),  // ingested after the exposure but earlier ts: not credited
            purchase("a", 11, at: t + 200),
            exposure("a", "green", at: t + 300),  // conflict: ignored
            purchase("a", 13, at: t + 400),
            exposure("b", "green", at: t + 100),
            Event(timestamp: t + 150, metric: "conversion", unit: "b"),
            Event(timestamp: t + 160, metric: "conversion", unit: "b"),
            exposure("c", "green", at: t + 100, experiment: "e2"),
        ])
        let report = try db.variantReport(experiment: "e1")
        #expect(report.control == "control")
        #expect(report.units == 2)
        #expect(report.conflicts == 1)
        #expect(report.variants.map(\.name) == ["control", "green"])
        let control = report.variants[0], green = report.variants[1]
        #expect(control.metrics["purchase"]?.units == 1)
        #expect(control.metrics["purchase"]?.events == 2)
        #expect(control.metrics["purchase"]?.sum == 24)
        #expect(green.metrics["purchase"]?.units == 0)
        #expect(green.metrics["conversion"]?.units == 1)
        #expect(green.metrics["conversion"]?.events == 2)
        #expect(green.metrics["conversion"]?.rate == 1)
        #expect(control.metrics["conversion"]?.rate == 0)
        #expect(Set(control.metrics.keys) == ["purchase", "conversion"])
        #expect(control.metrics["purchase"]?.ratePValue == nil)  // control has no comparison
        let experiments = try db.experiments()
        #expect(experiments.map(\.name) == ["e1", "e2"])
        #expect(experiments.map(\.units) == [2, 1])
        #expect(throws: TallyError.self) { try db.variantReport(experiment: "nope") }
        #expect(throws: TallyError.self) { try db.variantReport(experiment: "e1", control: "blue") }
    }

    @Test func reportMatchesTheOracleAcrossFlushesAndReopens() throws {
        let fileSystem = SimulatedFileSystem()
        var db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        var random = RandomEvents(seed: 11)
        var oracle = ExperimentOracle()
        for round in 0..<6 {
            var batch: [Event] = []
            for _ in 0..<300 {
                let unit = "u\(random.below(150))"
                let ts = ExperimentStateTests.t0 + Int64(round * 3_600_000 + random.below(3_600_000))
                switch random.below(5) {
                case 0: batch.append(exposure(unit, ["control", "a", "b"][random.below(3)], at: ts,
                                              experiment: ["e1", "e2"][random.below(2)]))
                case 1: batch.append(purchase(unit, Double(random.below(1000)) / 10, at: ts))
                default: batch.append(Event(timestamp: ts, metric: ["pageview", "conversion"][random.below(2)], unit: unit))
                }
            }
            try db.ingest(batch)
            oracle.ingest(batch)
            if round % 2 == 1 { try db.flush() }
            if round == 3 {
                try db.close()
                db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
            }
            for experiment in ["e1", "e2"] {
                let report = try db.variantReport(experiment: experiment)
                #expect(oracle.mismatches(report).isEmpty, "round \(round) \(experiment): \(oracle.mismatches(report))")
            }
        }
        // After a crash (no close), replay rebuilds the same state.
        let before = try db.variantReport(experiment: "e1")
        let crashed = fileSystem.processCrash()
        let reopened = try Tally.open(at: Fixtures.path, options: Fixtures.options(crashed))
        #expect(try reopened.variantReport(experiment: "e1") == before)
    }

    @Test func stateEncodingRoundTrips() throws {
        var state = ExperimentState(exposureMetric: "exposure", experimentDimension: "experiment", variantDimension: "variant")
        // Loads each round's delta on top of the earlier blocks, as opening a database does.
        var fromBlocks = ExperimentState(exposureMetric: "exposure", experimentDimension: "experiment", variantDimension: "variant")
        var random = RandomEvents(seed: 3)
        for round in 0..<4 {
            var events: [Event] = []
            for _ in 0..<200 {
                let unit = "u\(random.below(80 + 40 * round))"
                let ts = ExperimentStateTests.t0 + Int64(random.below(1_000_000))
                events.append(random.below(3) == 0
                    ? exposure(unit, ["x", "y"][random.below(2)], at: ts, experiment: "e\(random.below(3))")
                    : purchase(unit, Double(random.below(100)), at: ts))
            }
            state.apply(EventBatchBuilder.build(events), horizon: .min)
            let delta = state.encode(full: round == 0)
            var decoded = ExperimentState(exposureMetric: "exposure", experimentDimension: "experiment", variantDimension: "variant")
            let loaded = decoded.load(state.encode(full: true))
            #expect(loaded)
            let deltaLoaded = fromBlocks.load(delta)
            #expect(deltaLoaded, "round \(round)")
            state.markPersisted()
            decoded.markPersisted()
            fromBlocks.markPersisted()
            #expect(decoded == state, "round \(round)")
            #expect(fromBlocks == state, "round \(round): base and deltas")
            let truncatedLoaded = decoded.load(Array(state.encode(full: true).dropLast()))
            #expect(!truncatedLoaded)
        }
        #expect(state.assignments.count > 100 && !state.totals.isEmpty)
    }

    /// Rule X2 in a delta: a new assignment of a unit already assigned in that experiment, or a
    /// unit written out that is already held, does not decode.
    @Test func aDeltaCannotAssignAUnitTwice() throws {
        var state = ExperimentState(exposureMetric: "exposure", experimentDimension: "experiment", variantDimension: "variant")
        state.apply(EventBatchBuilder.build([exposure("a", "x", at: ExperimentStateTests.t0)]), horizon: .min)
        let base = state.encode(full: true)
        state.markPersisted()
        state.apply(EventBatchBuilder.build([exposure("a", "y", at: ExperimentStateTests.t0, experiment: "e2")]), horizon: .min)
        let delta = state.encode(full: false)
        var loaded = ExperimentState(exposureMetric: "exposure", experimentDimension: "experiment", variantDimension: "variant")
        let baseLoaded = loaded.load(base), deltaLoaded = loaded.load(delta)
        #expect(baseLoaded && deltaLoaded)
        // The same delta again: its new assignment refers to unit "a" (distance 1), which is now
        // assigned in e2 already.
        var twice = loaded
        let twiceLoaded = twice.load(delta)
        #expect(!twiceLoaded)
        // The base again as a delta would write out "a", which is held.
        var rewritten = base
        rewritten[4] = 1  // kind: delta
        var again = loaded
        let rewrittenLoaded = again.load(rewritten)
        #expect(!rewrittenLoaded)
    }
}
