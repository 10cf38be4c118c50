#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import Tally

/// Normal and chi-square against SciPy; vectors from make_statistics_vectors.py.
@Suite struct DistributionsTests {
    private typealias Tolerance = StatisticsTolerance

    @Test func normalCDFAndSurvivalMatchSciPy() {
        // (x, scipy.stats.norm.cdf(x), scipy.stats.norm.sf(x))
        let vectors: [(Double, Double, Double)] = [
            (-37.5, 4.605353009581954e-308, 1.0),
            (-30.0, 4.906713927147908e-198, 1.0),
            (-8.0, 6.22096057427174e-16, 0.9999999999999993),
            (-5.0, 2.866515718791933e-07, 0.9999997133484281),
            (-1.959963984540054, 0.025, 0.975),
            (-0.5, 0.3085375387259869, 0.6914624612740131),
            (0.0, 0.5, 0.5),
            (0.5, 0.6914624612740131, 0.3085375387259869),
            (1.0, 0.8413447460685429, 0.15865525393145707),
            (8.0, 0.9999999999999993, 6.22096057427174e-16),
            (30.0, 1.0, 4.906713927147908e-198),
        ]
        for (x, cdf, survival) in vectors {
            #expect(Tolerance.agrees(Normal.cdf(x), cdf), "cdf(\(x))")
            #expect(Tolerance.agrees(Normal.survival(x), survival), "survival(\(x))")
        }
    }

    @Test func normalQuantileMatchesSciPy() {
        // (p, scipy.stats.norm.ppf(p))
        let vectors: [(Double, Double)] = [
            (1e-300, -37.0470962993612),
            (1e-20, -9.262340089798409),
            (1e-08, -5.612001244174789),
            (0.001, -3.090232306167813),
            (0.025, -1.9599639845400545),
            (0.3, -0.5244005127080409),
            (0.5, 0.0),
            (0.7, 0.5244005127080407),
            (0.975, 1.959963984540054),
            (0.999999, 4.753424308817087),
        ]
        for (p, quantile) in vectors {
            #expect(Tolerance.agrees(Normal.quantile(p), quantile), "quantile(\(p))")
        }
    }

    @Test func normalQuantileInvertsTheCDF() {
        // Through the smaller tail, where the round trip is well conditioned.
        for x in [-37.0, -30, -12, -8, -3, -1, -0.5] {
            #expect(Tolerance.agrees(Normal.quantile(Normal.cdf(x)), x, relative: 1e-12), "x = \(x)")
            #expect(Tolerance.agrees(-Normal.quantile(Normal.survival(-x)), -x, relative: 1e-12), "x = \(-x)")
        }
    }

    @Test func normalTailsNeitherUnderflowEarlyNorBreak() {
        #expect(Normal.survival(38) > 0)  // 2.9e-316, subnormal but representable
        #expect(Normal.cdf(-40) == 0)  // 3.7e-350 is below the double range
        #expect(Normal.twoSidedPValue(-30) == 2 * Normal.survival(30))
        #expect(Normal.twoSidedPValue(0) == 1)
        #expect(Normal.cdf(.infinity) == 1 && Normal.cdf(-.infinity) == 0)
        #expect(Normal.cdf(.nan).isNaN)
        #expect(Normal.quantile(0) == -.infinity && Normal.quantile(1) == .infinity)
        #expect(Normal.quantile(-0.1).isNaN && Normal.quantile(1.1).isNaN && Normal.quantile(.nan).isNaN)
        #expect(Normal.quantile(.leastNonzeroMagnitude) < -38)
    }

    @Test func chiSquareSurvivalMatchesSciPy() {
        // (x, df, scipy.stats.chi2.sf(x, df))
        let vectors: [(Double, Double, Double)] = [
            (1e-06, 1.0, 0.9992021155721779),
            (0.5, 1.0, 0.47950012218695337),
            (3.841458820694124, 1.0, 0.04999999999999989),
            (10.0, 1.0, 0.001565402258002549),
            (50.0, 1.0, 1.537459794428033e-12),
            (200.0, 1.0, 2.0884875837625688e-45),
            (1000.0, 1.0, 1.7958327848007363e-219),
            (1300.0, 1.0, 1.1303728441493301e-284),
            (1e-06, 2.0, 0.999999500000125),
            (0.5, 2.0, 0.7788007830714049),
            (3.841458820694124, 2.0, 0.1465000644860843),
            (10.0, 2.0, 0.006737946999085468),
            (50.0, 2.0, 1.3887943864964e-11),
            (200.0, 2.0, 3.7200759760208177e-44),
            (1000.0, 2.0, 7.124576406741474e-218),
            (1300.0, 2.0, 5.111951948651156e-283),
            (1e-06, 3.0, 0.9999999997340385),
            (0.5, 3.0, 0.9188914116546758),
            (3.841458820694124, 3.0, 0.27910046378359765),
            (10.0, 3.0, 0.01856613546304325),
            (50.0, 3.0, 7.989179244951495e-11),
            (200.0, 3.0, 4.218541107192018e-43),
            (1000.0, 3.0, 1.7994208765314067e-216),
            (1300.0, 3.0, 1.4717437106980018e-281),
            (1e-06, 4.0, 0.999999999999875),
            (0.5, 4.0, 0.9735009788392561),
            (3.841458820694124, 4.0, 0.42788704696224755),
            (10.0, 4.0, 0.04042768199451279),
            (50.0, 4.0, 3.610865404890647e-10),
            (200.0, 4.0, 3.75727673578106e-42),
            (1000.0, 4.0, 3.5694127797773694e-215),
            (1300.0, 4.0, 3.327880718571902e-280),
            (9.0, 9.0, 0.43727418891386693),
            (29.0, 30.0, 0.5175966978958983),
            (120.0, 30.0, 1.0202758541470007e-12),
            (100.0, 100.0, 0.48119168452795674),
            (1000.0, 100.0, 2.3060767380354624e-148),
        ]
        for (x, df, survival) in vectors {
            #expect(
                Tolerance.agrees(ChiSquare.survival(x, degreesOfFreedom: df), survival),
                "survival(\(x), df: \(df))")
        }
    }

    @Test func chiSquareClosedFormsAndLimits() {
        for x in [0.01, 1, 7.5, 60, 700] {
            let oneDegree = ChiSquare.survival(x, degreesOfFreedom: 1)
            #expect(Tolerance.agrees(oneDegree, 2 * Normal.survival(x.squareRoot()), relative: 1e-12))
            let twoDegrees = ChiSquare.survival(x, degreesOfFreedom: 2)
            #expect(Tolerance.agrees(twoDegrees, exp(-x / 2), relative: 1e-12))
            let sum = ChiSquare.cdf(x, degreesOfFreedom: 3) + ChiSquare.survival(x, degreesOfFreedom: 3)
            #expect(abs(sum - 1) < 1e-15)
        }
        #expect(ChiSquare.survival(0, degreesOfFreedom: 3) == 1)
        #expect(ChiSquare.survival(-1, degreesOfFreedom: 3) == 1)
        #expect(ChiSquare.survival(.infinity, degreesOfFreedom: 3) == 0)
        #expect(ChiSquare.survival(1, degreesOfFreedom: 0).isNaN)
        #expect(ChiSquare.survival(1, degreesOfFreedom: .nan).isNaN)
        #expect(ChiSquare.survival(.nan, degreesOfFreedom: 1).isNaN)
        let large = ChiSquare.survival(1e6, degreesOfFreedom: 1e6)
        #expect(large > 0.49 && large < 0.51)
    }
}
