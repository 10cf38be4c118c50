import Testing
@testable import Tally

/// The gamma and beta helpers; vectors from make_statistics_vectors.py.
@Suite struct SpecialFunctionsTests {
    private typealias Tolerance = StatisticsTolerance

    @Test func logBetaKeepsItsDigitsForLargeArguments() {
        // (a, b, mpmath.log(mpmath.beta(a, b))): SciPy's betaln loses digits at (0.5, 5e5).
        let vectors: [(Double, Double, Double)] = [
            (0.5, 0.5, 1.1447298858494002 /* scipy.special.betaln off by 2.0e-16 */),
            (3.0, 4.0, -4.0943445622221 /* scipy.special.betaln off by 6.6e-17 */),
            (0.5, 14.9, -0.769927974175889 /* scipy.special.betaln off by 1.2e-16 */),
            (15.0, 0.5, -0.773328365452232 /* scipy.special.betaln off by 1.6e-16 */),
            (0.5, 500000.0, -5.988816495777464 /* scipy.special.betaln off by 3.5e-11 */),
            (12.5, 40.0, -29.016702862091726 /* scipy.special.betaln off by 1.9e-17 */),
            (1000000.0, 2000000.0, -1909548.290968533 /* scipy.special.betaln off by 6.2e-15 */),
        ]
        for (a, b, value) in vectors {
            #expect(Tolerance.agrees(SpecialFunctions.logBeta(a, b), value, relative: 1e-13), "(\(a), \(b))")
            #expect(Tolerance.agrees(SpecialFunctions.logBeta(b, a), value, relative: 1e-13), "(\(b), \(a))")
        }
    }

    @Test func regularizedGammaMatchesSciPy() {
        // (a, x, scipy.special.gammainc(a, x), scipy.special.gammaincc(a, x))
        let vectors: [(Double, Double, Double, Double)] = [
            (0.5, 0.1, 0.34527915398142317, 0.6547208460185768),
            (2.5, 1.0, 0.15085496391539038, 0.8491450360846096),
            (3.0, 10.0, 0.9972306042844884, 0.0027693957155115775),
            (15.0, 14.0, 0.42956328717262743, 0.5704367128273726),
            (15.0, 16.5, 0.6774579030654354, 0.3225420969345646),
            (250.0, 240.0, 0.2676500698540158, 0.7323499301459842),
            (500000.0, 502000.0, 0.9976369717613162, 0.002363028238683893),
            (1.5, 400.0, 1.0, 4.327470814385081e-173),
        ]
        for (a, x, lower, upper) in vectors {
            let result = SpecialFunctions.regularizedGamma(a, x)
            #expect(Tolerance.agrees(result.lower, lower), "P(\(a), \(x))")
            #expect(Tolerance.agrees(result.upper, upper), "Q(\(a), \(x))")
        }
    }

    @Test func logGammaRatioAgreesWithLogGammaWhereThatIsExact() {
        for (a, b) in [(10.0, 0.5), (12.25, 3), (40, 2.5), (100, 17)] {
            let direct = SpecialFunctions.logGamma(a + b) - SpecialFunctions.logGamma(a)
            #expect(Tolerance.agrees(SpecialFunctions.logGammaRatio(a, plus: b), direct, relative: 1e-12))
        }
    }
}
