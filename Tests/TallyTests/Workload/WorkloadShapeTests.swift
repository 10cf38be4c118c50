import Testing
@testable import TallyWorkload

/// The 100k-event sample has the shape the model predicts (tolerances are several standard
/// errors wide for ~24k sessions).
@Suite struct WorkloadShapeTests {
    let stream = WorkloadSample.stream
    var events: [GeneratedEvent] { stream.map(\.event) }

    /// Expected events per session of each metric, from the model's constants.
    static var expectedPerSession: [String: Double] {
        let q = WorkloadModel.exp(-1 / WorkloadModel.meanExtraPages)
        // E[min(⌊X⌋, 40)] for X ~ Exp(mean 2.2) = Σ_{k=1…40} P(X ≥ k).
        let extraPages = (1...WorkloadModel.maxExtraPages).reduce(0.0) { sum, k in sum + pow(q, k) }
        let meanLift = WorkloadModel.experiments.reduce(0.0) { sum, experiment in
            sum + WorkloadModel.exposureProbability * experiment.conversionLift.reduce(0, +)
                / Double(experiment.variants.count)
        }
        let conversions = WorkloadModel.baseConversionRate + meanLift
        return [
            "pageview": 1 + extraPages,
            "exposure": WorkloadModel.exposureProbability * Double(WorkloadModel.experiments.count),
            "error": WorkloadModel.errorProbability,
            "conversion": conversions,
            "purchase": conversions * WorkloadModel.purchaseProbability,
        ]
    }

    static func pow(_ x: Double, _ n: Int) -> Double { (0..<n).reduce(1.0) { product, _ in product * x } }

    @Test func totalIsCloseToTheRequestedCount() {
        #expect(abs(Double(stream.count) / 100_000 - 1) < 0.03, "\(stream.count) events")
    }

    @Test func meanEventsPerSessionMatchesTheModel() {
        let units = Set(events.map(\.unit)).count
        let expected = Self.expectedPerSession.values.reduce(0, +)
        #expect(abs(expected - WorkloadModel.eventsPerSession) < 0.01)
        #expect(abs(Double(stream.count) / Double(units) - expected) < 0.08, "\(Double(stream.count) / Double(units))")
    }

    @Test func metricFractionsMatchTheModel() {
        let expected = Self.expectedPerSession
        let total = expected.values.reduce(0, +)
        let tolerance = ["pageview": 0.03, "exposure": 0.04, "error": 0.2, "conversion": 0.12, "purchase": 0.15]
        var counts: [String: Int] = [:]
        for event in events { counts[event.metric, default: 0] += 1 }
        #expect(Set(counts.keys) == Set(WorkloadModel.metrics))
        for metric in WorkloadModel.metrics {
            let observed = Double(counts[metric] ?? 0) / Double(stream.count)
            let wanted = expected[metric]! / total
            #expect(abs(observed / wanted - 1) < tolerance[metric]!, "\(metric): \(observed) vs \(wanted)")
        }
    }

    @Test func aQuarterOfUnitsSeeEachExperimentSplitEvenly() {
        let units = Double(Set(events.map(\.unit)).count)
        for experiment in WorkloadModel.experiments {
            var perVariant: [String: Int] = [:]
            for event in events where event.metric == "exposure" && event.dimension("experiment") == experiment.name {
                perVariant[event.dimension("variant")!, default: 0] += 1
            }
            let exposed = Double(perVariant.values.reduce(0, +))
            #expect(abs(exposed / units - WorkloadModel.exposureProbability) < 0.015, "\(experiment.name)")
            #expect(Set(perVariant.keys) == Set(experiment.variants))
            for (variant, count) in perVariant {
                let share = Double(count) / exposed
                let even = 1 / Double(experiment.variants.count)
                #expect(abs(share / even - 1) < 0.1, "\(experiment.name)/\(variant): \(share)")
            }
        }
    }

    @Test func purchaseValuesAreLogNormal() {
        let values = events.compactMap(\.value).sorted()
        #expect(values.count > 500)
        #expect(values.allSatisfy { $0 > 0 && ($0 * 100).rounded() / 100 == $0 })
        let mean = values.reduce(0, +) / Double(values.count)
        let median = values[values.count / 2]
        let logSD = WorkloadModel.purchaseLogStandardDeviation
        let expectedMean = WorkloadModel.exp(WorkloadModel.purchaseLogMean + logSD * logSD / 2)  // 38.28
        #expect(abs(mean / expectedMean - 1) < 0.1, "mean \(mean)")
        #expect(abs(median / WorkloadModel.exp(WorkloadModel.purchaseLogMean) - 1) < 0.1, "median \(median)")
    }

    @Test func lateFractionMatchesTheOption() {
        for fraction in [0.0, 0.01, 0.2] {
            let sample = fraction == 0.01
                ? stream : WorkloadSample.generate(WorkloadOptions(events: 40_000, days: 5, lateFraction: fraction))
            let candidates = sample.filter { $0.event.metric != WorkloadModel.exposureMetric }
            let late = candidates.filter { $0.arrival > $0.event.timestamp }.count
            let observed = Double(late) / Double(candidates.count)
            #expect(abs(observed - fraction) <= fraction * 0.15, "late \(observed) for \(fraction)")
            // Seen from the NDJSON alone: a late event's ts is below an earlier line's ts.
            var latest = Int64.min
            var outOfOrder = 0
            for (_, event) in sample {
                if event.timestamp < latest { outOfOrder += 1 }
                latest = max(latest, event.timestamp)
            }
            #expect(abs(Double(outOfOrder) - Double(late)) <= Double(late) * 0.02 + 2)
        }
    }

    @Test func sessionStartsFollowTheDailyCycle() {
        var firstEvent: [String: Int64] = [:]
        for event in events { firstEvent[event.unit] = min(firstEvent[event.unit] ?? .max, event.timestamp) }
        var perHour = [Int](repeating: 0, count: 24)
        for start in firstEvent.values { perHour[Int((start - WorkloadSample.options.start) / 3_600_000 % 24)] += 1 }
        let peak = Double(perHour[14] + perHour[15] + perHour[16])  // weights 1.58 + 1.6 + 1.58
        let trough = Double(perHour[2] + perHour[3] + perHour[4])  // weights 0.42 + 0.4 + 0.42
        #expect(abs(peak / trough / 3.84 - 1) < 0.2, "peak/trough \(peak / trough)")
    }

    @Test func countriesAndSourcesAreZipfDistributed() {
        func share(of value: String, key: String) -> Double {
            let pageviews = events.filter { $0.metric == "pageview" }
            return Double(pageviews.filter { $0.dimension(key) == value }.count) / Double(pageviews.count)
        }
        func zipfHead(_ count: Int, _ exponent: Double) -> Double {
            1 / (1...count).reduce(0.0) { $0 + WorkloadModel.exp(-exponent * WorkloadModel.log(Double($1))) }
        }
        let us = share(of: "US", key: "country")
        let direct = share(of: "direct", key: "utm_source")
        #expect(abs(us / zipfHead(50, WorkloadModel.countryZipfExponent) - 1) < 0.1, "US \(us)")
        #expect(abs(direct / zipfHead(20, WorkloadModel.sourceZipfExponent) - 1) < 0.1, "direct \(direct)")
        #expect(abs(share(of: "mobile", key: "device") / 0.6 - 1) < 0.05)
    }
}

extension WorkloadModel {
    static func exp(_ x: Double) -> Double { DeterministicMath.exp(x) }
    static func log(_ x: Double) -> Double { DeterministicMath.log(x) }
}
