import Testing
@testable import Tally

/// Units are one unit when they are equal as `String`s, whichever index finds them.
@Suite struct UnitIndexTests {
    @Test func asciiUnitsAreFoundByTheirBytes() {
        var index = UnitIndex()
        #expect(index.id(of: "u1") == nil)
        #expect(index.insert("u1") == 0)
        #expect(index.insert("u2") == 1)
        #expect(index.id(of: "u2") == 1)
        #expect(index.id(of: "u3") == nil)
    }

    @Test func canonicallyEquivalentUnitsShareAnID() {
        var index = UnitIndex()
        #expect(index.insert("K") == 0)
        #expect(index.id(of: "\u{212A}") == 0, "KELVIN SIGN is \"K\" as a String")
        #expect(index.insert("caf\u{E9}") == 1)
        #expect(index.id(of: "cafe\u{301}") == 1)
        #expect(index.insert("\u{212B}") == 2)  // ANGSTROM SIGN
        #expect(index.id(of: "\u{C5}") == 2)
        #expect(index.id(of: "A") == nil)
    }

    @Test func anAsciiUnitFindsAnEquivalentNonASCIIOne() {
        var index = UnitIndex()
        #expect(index.id(of: "\u{212A}") == nil)
        #expect(index.insert("\u{212A}") == 0)
        #expect(index.id(of: "K") == 0)
    }

    @Test func attributionTreatsEquivalentUnitsAsOne() {
        var state = ExperimentState(exposureMetric: "exposure", experimentDimension: "experiment", variantDimension: "variant")
        let t: Int64 = 1_790_812_800_000
        state.apply(EventBatchBuilder.build([
            Event(timestamp: t, metric: "exposure", dimensions: ["experiment": "e", "variant": "a"], unit: "K"),
        ]), horizon: .min)
        state.apply(EventBatchBuilder.build([
            Event(timestamp: t + 1, metric: "buy", value: 2, unit: "\u{212A}"),
            Event(timestamp: t + 2, metric: "exposure", dimensions: ["experiment": "e", "variant": "b"], unit: "\u{212A}"),
        ]), horizon: .min)
        #expect(state.unitIDs.count == 1 && state.unitIDs[0] == "K")
        #expect(state.conflicts == [1])
        #expect(state.stats[ExperimentState.StatsKey(experiment: 0, variant: 0, metric: 0)]?.events == 1)
    }
}
