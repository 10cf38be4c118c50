import Testing
@testable import Tally

/// The report's hypothesis tests against SciPy / NumPy; vectors from make_statistics_vectors.py.
@Suite struct StatisticsTests {
    private typealias Tolerance = StatisticsTolerance

    /// Relative 1e-9, or absolute 1e-12 for differences and interval ends that may sit near 0.
    private func agrees(_ actual: Double, _ expected: Double) -> Bool {
        Tolerance.agrees(actual, expected, absolute: 1e-12)
    }

    // MARK: Two-proportion z-test

    @Test func twoProportionZTestMatchesTheReferenceFormula() throws {
        // (x1, n1, x2, n2, confidence, difference, relativeLift, ciLower, ciUpper, z, pValue):
        // pooled p-value 2·norm.sf(|z|), unpooled Wald interval with norm.ppf.
        let vectors: [(Int, Int, Int, Int, Double, Double, Double?, Double, Double, Double, Double)] = [
            (200, 10000, 250, 10000, 0.95, 0.005000000000000001, 0.25000000000000006, 0.0008899129980008439, 0.009110087001999157, 2.3839951328405053, 0.01712582887219501),
            (0, 500, 7, 480, 0.95, 0.014583333333333334, nil, 0.00385911060031709, 0.025307556066349577, 2.7100045572359854, 0.006728228367397804),
            (5000, 10000, 5600, 10000, 0.95, 0.06000000000000005, 0.1200000000000001, 0.046190944425513566, 0.07380905557448654, 8.50059624328606, 1.886193473787789e-17),
            (100000, 1000000, 112500, 1000000, 0.95, 0.012499999999999997, 0.12499999999999997, 0.011646022864479877, 0.013353977135520117, 28.682864310588748, 6.24166041413027e-181),
            (31, 400, 22, 410, 0.99, -0.023841463414634147, -0.3076317859952793, -0.06864803609745436, 0.020965109268186066, -1.3718652907719184, 0.17010537729392516),
            (0, 10, 10, 10, 0.95, 1.0, nil, 1.0, 1.0, 4.47213595499958, 7.74421643104407e-06),
            (3, 7, 1, 9, 0.8, -0.31746031746031744, -0.7407407407407407, -0.5922010614537079, -0.04271957346692706, -1.454785934906616, 0.1457285332020404),
        ]
        for (x1, n1, x2, n2, confidence, difference, lift, lower, upper, z, p) in vectors {
            let result = try #require(twoProportionZTest(
                controlSuccesses: x1, controlTotal: n1, treatmentSuccesses: x2, treatmentTotal: n2,
                confidence: confidence))
            let label = "\(x1)/\(n1) vs \(x2)/\(n2)"
            #expect(result.controlRate == Double(x1) / Double(n1), "\(label)")
            #expect(result.treatmentRate == Double(x2) / Double(n2), "\(label)")
            #expect(agrees(result.difference, difference), "\(label)")
            #expect((result.relativeLift == nil) == (lift == nil), "\(label)")
            if let lift, let actual = result.relativeLift { #expect(agrees(actual, lift), "\(label)") }
            #expect(agrees(result.confidenceInterval.lower, lower), "\(label)")
            #expect(agrees(result.confidenceInterval.upper, upper), "\(label)")
            #expect(agrees(result.zScore, z), "\(label)")
            // p-values are compared in relative terms only, down to 6e-181.
            #expect(Tolerance.agrees(result.pValue, p), "\(label)")
        }
    }

    @Test func twoProportionZTestDegenerateRates() throws {
        let none = try #require(twoProportionZTest(
            controlSuccesses: 0, controlTotal: 100, treatmentSuccesses: 0, treatmentTotal: 200))
        #expect(none.difference == 0 && none.zScore == 0 && none.pValue == 1)
        #expect(none.relativeLift == nil)
        #expect(none.confidenceInterval == ConfidenceInterval(lower: 0, upper: 0))

        let all = try #require(twoProportionZTest(
            controlSuccesses: 50, controlTotal: 50, treatmentSuccesses: 80, treatmentTotal: 80))
        #expect(all.difference == 0 && all.pValue == 1 && all.relativeLift == 0)
        #expect(all.confidenceInterval == ConfidenceInterval(lower: 0, upper: 0))
    }

    @Test func twoProportionZTestRejectsInvalidInput() {
        func test(_ x1: Int, _ n1: Int, _ x2: Int, _ n2: Int, _ confidence: Double = 0.95) -> ProportionComparison? {
            twoProportionZTest(controlSuccesses: x1, controlTotal: n1, treatmentSuccesses: x2,
                               treatmentTotal: n2, confidence: confidence)
        }
        #expect(test(0, 0, 1, 10) == nil)
        #expect(test(1, 10, 0, 0) == nil)
        #expect(test(11, 10, 1, 10) == nil)
        #expect(test(-1, 10, 1, 10) == nil)
        #expect(test(1, 10, 1, -10) == nil)
        #expect(test(1, 10, 1, 10, 0) == nil)
        #expect(test(1, 10, 1, 10, 1) == nil)
        #expect(test(1, 10, 1, 10, .nan) == nil)
    }

    // MARK: Welch's t-test

    @Test func welchTTestMatchesSciPy() throws {
        // (control, treatment, confidence, difference, df, t, ciLower, ciUpper, pValue):
        // scipy.stats.ttest_ind_from_stats(equal_var=False); interval with scipy.stats.t.ppf.
        let vectors: [(SampleMoments, SampleMoments, Double, Double, Double, Double, Double, Double, Double)] = [
            (SampleMoments(count: 1000, sum: 10000.0, sumOfSquares: 103996.0), SampleMoments(count: 1200, sum: 12360.0, sumOfSquares: 133303.0), 0.95, 0.3000000000000007, 2187.0132228237435, 3.319700011034936, 0.12278073832596276, 0.47721926167403866, 0.0009159377916310587),
            (SampleMoments(count: 50000, sum: 100000.0, sumOfSquares: 200499.99), SampleMoments(count: 12, sum: 30.0, sumOfSquares: 4475.0), 0.95, 0.5, 11.000000132000002, 0.08660254011863625, -12.207393766130412, 13.207393766130412, 0.9325437722945004),
            (SampleMoments(count: 1000000, sum: 1000000.0, sumOfSquares: 1999999.0), SampleMoments(count: 1000000, sum: 1050000.0, sumOfSquares: 2102499.0), 0.95, 0.050000000000000044, 1999998.0000000002, 35.355339059327406, 0.04722819067384894, 0.05277180932615115, 1.009277617608004e-273),
            (SampleMoments(count: 2, sum: 4.0, sumOfSquares: 10.0), SampleMoments(count: 3, sum: 21.0, sumOfSquares: 189.0), 0.95, 5.0, 2.5098039215686274, 1.7677669529663687, -5.082449652381625, 15.082449652381625, 0.19287959246548012),
            (SampleMoments(count: 100, sum: 0.0, sumOfSquares: 0.0), SampleMoments(count: 100, sum: 50.0, sumOfSquares: 80.0), 0.95, 0.5, 99.0, 6.7082039324993685, 0.35210520047151206, 0.6478947995284879, 1.2348023278292423e-09),
            (SampleMoments(count: 20000, sum: 400.0, sumOfSquares: 400.0), SampleMoments(count: 20000, sum: 520.0, sumOfSquares: 520.0), 0.9, 0.005999999999999998, 39359.02083332002, 4.00328197652418, 0.0035346842633754505, 0.008465315736624547, 6.258421527446164e-05),
        ]
        for (control, treatment, confidence, difference, df, t, lower, upper, p) in vectors {
            let result = try #require(welchTTest(control: control, treatment: treatment, confidence: confidence))
            let label = "\(control) vs \(treatment)"
            #expect(agrees(result.difference, difference), "\(label)")
            #expect(agrees(result.degreesOfFreedom, df), "\(label)")
            #expect(agrees(result.tStatistic, t), "\(label)")
            #expect(agrees(result.confidenceInterval.lower, lower), "\(label)")
            #expect(agrees(result.confidenceInterval.upper, upper), "\(label)")
            #expect(Tolerance.agrees(result.pValue, p), "\(label)")
        }
    }

    @Test func welchTTestZeroVarianceCases() throws {
        let constant = SampleMoments(count: 10, sum: 20, sumOfSquares: 40)  // ten 2s
        let same = try #require(welchTTest(control: constant, treatment: constant))
        #expect(same.pValue == 1 && same.tStatistic == 0 && same.degreesOfFreedom == 18)
        #expect(same.confidenceInterval == ConfidenceInterval(lower: 0, upper: 0))

        let higher = SampleMoments(count: 5, sum: 15, sumOfSquares: 45)  // five 3s
        let differ = try #require(welchTTest(control: constant, treatment: higher))
        #expect(differ.pValue == 0 && differ.tStatistic == .infinity && differ.difference == 1)
        #expect(differ.relativeLift == 0.5)

        // Three 0.1s: Σx² − (Σx)²/n is rounding noise, taken as exactly 0.
        let tenths = SampleMoments(count: 3, sum: 0.1 + 0.1 + 0.1, sumOfSquares: 0.01 + 0.01 + 0.01)
        let noise = try #require(welchTTest(control: tenths, treatment: tenths))
        #expect(noise.controlVariance == 0 && noise.pValue == 1)

        // One variance 0: ν is the other group's n − 1.
        let zeros = SampleMoments(count: 40, sum: 0, sumOfSquares: 0)
        let spread = SampleMoments(count: 25, sum: 10, sumOfSquares: 30)
        let oneSided = try #require(welchTTest(control: zeros, treatment: spread))
        #expect(oneSided.degreesOfFreedom == 24 && oneSided.relativeLift == nil)
    }

    @Test func welchTTestRejectsInvalidInput() {
        let ok = SampleMoments(count: 10, sum: 5, sumOfSquares: 9)
        #expect(welchTTest(control: SampleMoments(count: 1, sum: 1, sumOfSquares: 1), treatment: ok) == nil)
        #expect(welchTTest(control: ok, treatment: SampleMoments(count: 0, sum: 0, sumOfSquares: 0)) == nil)
        #expect(welchTTest(control: ok, treatment: SampleMoments(count: 5, sum: .nan, sumOfSquares: 1)) == nil)
        #expect(welchTTest(control: ok, treatment: SampleMoments(count: 5, sum: 1, sumOfSquares: .infinity)) == nil)
        #expect(welchTTest(control: ok, treatment: ok, confidence: 1) == nil)
    }

    @Test func welchTTestNearTheDoubleRangeGivesNumbers() throws {
        let cases: [(SampleMoments, SampleMoments)] = [
            (SampleMoments(count: 2, sum: 1.5e308, sumOfSquares: 1.7e308),
             SampleMoments(count: 2, sum: -1.5e308, sumOfSquares: 1.7e308)),
            (SampleMoments(count: 2, sum: 0, sumOfSquares: 1.7e308),
             SampleMoments(count: 3, sum: 0, sumOfSquares: 1.7e308)),
            (SampleMoments(count: 2, sum: 1e-300, sumOfSquares: 1e-310),
             SampleMoments(count: 1_000_000_000, sum: 1e-290, sumOfSquares: 5e-324)),
        ]
        for (control, treatment) in cases {
            let result = try #require(welchTTest(control: control, treatment: treatment))
            let fields = [result.difference, result.degreesOfFreedom, result.tStatistic, result.pValue,
                          result.confidenceInterval.lower, result.confidenceInterval.upper, result.standardError]
            #expect(fields.allSatisfy { !$0.isNaN }, "\(control) vs \(treatment): \(result)")
            #expect(result.confidenceInterval.lower <= result.confidenceInterval.upper)
        }
    }

    // MARK: Sample-ratio mismatch

    @Test func sampleRatioMismatchMatchesSciPy() throws {
        // (observed, weights, scipy.stats.chisquare(observed, total * w / sum(w)).pvalue)
        let vectors: [([Int], [Double]?, Double)] = [
            ([5000, 5000], nil, 1.0),
            ([5050, 4950], nil, 0.31731050786291115),
            ([10000, 10321, 9800], nil, 0.0010278532663663001),
            ([5100, 2950, 1950], [0.5, 0.3, 0.2], 0.12981217685543797),
            ([10000, 11000], nil, 5.176309056990159e-12),
            ([100000, 104000], [1.0, 1.0], 8.282626020810364e-19),
            ([250, 260, 240, 300], nil, 0.04802154731254778),
            ([900, 100], [9.0, 1.0], 1.0),
        ]
        for (observed, weights, p) in vectors {
            let actual = try #require(chiSquareGoodnessOfFit(observed: observed, weights: weights))
            #expect(Tolerance.agrees(actual, p), "\(observed) \(weights ?? [])")
        }
    }

    @Test func sampleRatioMismatchWeightsAndInvalidInput() {
        let observed = [1000, 1040, 980]
        let equal = chiSquareGoodnessOfFit(observed: observed)
        #expect(equal != nil)
        #expect(chiSquareGoodnessOfFit(observed: observed, weights: [2, 2, 2]) == equal)
        #expect(chiSquareGoodnessOfFit(observed: [], weights: nil) == nil)
        #expect(chiSquareGoodnessOfFit(observed: [10], weights: nil) == nil)
        #expect(chiSquareGoodnessOfFit(observed: [0, 0], weights: nil) == nil)
        #expect(chiSquareGoodnessOfFit(observed: [5, -1], weights: nil) == nil)
        #expect(chiSquareGoodnessOfFit(observed: observed, weights: [1, 1]) == nil)
        #expect(chiSquareGoodnessOfFit(observed: observed, weights: [1, 0, 1]) == nil)
        #expect(chiSquareGoodnessOfFit(observed: observed, weights: [1, -1, 1]) == nil)
        #expect(chiSquareGoodnessOfFit(observed: observed, weights: [1, .nan, 1]) == nil)
        #expect(chiSquareGoodnessOfFit(observed: observed, weights: [1, .infinity, 1]) == nil)
        // A split far from the plan gives a tiny p-value, not 0 or NaN.
        let skewed = chiSquareGoodnessOfFit(observed: [100_000, 104_000, 99_000, 101_000])
        #expect(skewed.map { $0 > 0 && $0 < 1e-20 } == true)
    }
}
