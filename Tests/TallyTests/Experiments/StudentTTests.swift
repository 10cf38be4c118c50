import Testing
@testable import Tally

/// Student's t against SciPy (vectors from make_statistics_vectors.py), plus the properties the
/// report relies on: symmetry, inversion, the normal limit, and no NaN at the edges.
@Suite struct StudentTTests {
    private typealias Tolerance = StatisticsTolerance

    @Test func cdfAndTwoSidedPValueMatchSciPy() {
        // (t, df, scipy.stats.t.cdf(t, df), 2 * scipy.stats.t.sf(abs(t), df))
        let vectors: [(Double, Double, Double, Double)] = [
            (-30.0, 1.0, 0.010606402405535426, 0.02121280481107085),
            (-8.0, 1.0, 0.039583424160565546, 0.07916684832113109),
            (-2.0, 1.0, 0.14758361765043326, 0.2951672353008665),
            (-0.5, 1.0, 0.35241638234956674, 0.7048327646991335),
            (0.1, 1.0, 0.5317255174305535, 0.936548965138893),
            (1.5, 1.0, 0.8128329581890011, 0.3743340836219977),
            (8.0, 1.0, 0.9604165758394344, 0.07916684832113109),
            (30.0, 1.0, 0.9893935975944645, 0.02121280481107085),
            (-30.0, 2.5, 0.00014553235457869768, 0.00029106470915739535),
            (-8.0, 2.5, 0.0038283220655217234, 0.007656644131043447),
            (-2.0, 2.5, 0.07869574787898295, 0.1573914957579659),
            (-0.5, 2.5, 0.3288489599348574, 0.6576979198697148),
            (0.1, 2.5, 0.5360967279687552, 0.9278065440624897),
            (1.5, 2.5, 0.8760817734568519, 0.24783645308629618),
            (8.0, 2.5, 0.9961716779344783, 0.007656644131043447),
            (30.0, 2.5, 0.9998544676454213, 0.00029106470915739535),
            (-30.0, 30.0, 3.125895815304445e-24, 6.25179163060889e-24),
            (-8.0, 30.0, 3.1329112378503795e-09, 6.265822475700759e-09),
            (-2.0, 30.0, 0.027312522481491547, 0.054625044962983094),
            (-0.5, 30.0, 0.3103615024425636, 0.6207230048851272),
            (0.1, 30.0, 0.5394951941048645, 0.9210096117902712),
            (1.5, 30.0, 0.927967035435677, 0.144065929128646),
            (8.0, 30.0, 0.9999999968670887, 6.265822475700759e-09),
            (30.0, 30.0, 1.0, 6.25179163060889e-24),
            (-30.0, 1000000.0, 6.010047116832059e-198, 1.2020094233664118e-197),
            (-8.0, 1000000.0, 6.227531716601252e-16, 1.2455063433202503e-15),
            (-2.0, 1000000.0, 0.02275026692565962, 0.04550053385131924),
            (-0.5, 1000000.0, 0.3085375937361857, 0.6170751874723714),
            (0.1, 1000000.0, 0.5398278272539784, 0.9203443454920432),
            (1.5, 1000000.0, 0.9331926408816036, 0.1336147182367928),
            (8.0, 1000000.0, 0.9999999999999993, 1.2455063433202503e-15),
            (30.0, 1000000.0, 1.0, 1.2020094233664118e-197),
        ]
        for (t, df, cdf, twoSided) in vectors {
            #expect(Tolerance.agrees(StudentT.cdf(t, degreesOfFreedom: df), cdf), "cdf(\(t), df: \(df))")
            #expect(
                Tolerance.agrees(StudentT.twoSidedPValue(t, degreesOfFreedom: df), twoSided),
                "p(\(t), df: \(df))")
            #expect(
                Tolerance.agrees(StudentT.survival(-t, degreesOfFreedom: df), cdf),
                "survival(\(-t), df: \(df))")
        }
    }

    @Test func quantileMatchesSciPy() {
        // (p, df, scipy.stats.t.ppf(p, df))
        let vectors: [(Double, Double, Double)] = [
            (1e-10, 1.0, -3183098861.8379064),
            (0.001, 1.0, -318.30883898555044),
            (0.025, 1.0, -12.706204736174705),
            (0.3, 1.0, -0.7265425280053609),
            (0.975, 1.0, 12.706204736174694),
            (0.999, 1.0, 318.30883898555015),
            (1e-10, 2.0, -70710.67810804816),
            (0.001, 2.0, -22.327124770119873),
            (0.025, 2.0, -4.302652729749464),
            (0.3, 2.0, -0.6172133998483678),
            (0.975, 2.0, 4.302652729749462),
            (0.999, 2.0, 22.327124770119866),
            (1e-10, 2.5, -8765.437771364572),
            (0.001, 2.5, -13.822193110865964),
            (0.025, 2.5, -3.5746548420036834),
            (0.3, 2.5, -0.597307738252318),
            (0.975, 2.5, 3.5746548420036817),
            (0.999, 2.5, 13.82219311086596),
            (1e-10, 7.3, -48.42720303463798),
            (0.001, 7.3, -4.688865993538373),
            (0.025, 7.3, -2.3450667365477034),
            (0.3, 7.3, -0.5480628979421774),
            (0.975, 7.3, 2.345066736547703),
            (0.999, 7.3, 4.688865993538372),
            (1e-10, 30.0, -9.377489780407144),
            (0.001, 30.0, -3.385184866829305),
            (0.025, 30.0, -2.042272456301238),
            (0.3, 30.0, -0.5300190039065046),
            (0.975, 30.0, 2.0422724563012378),
            (0.999, 30.0, 3.3851848668293045),
            (1e-10, 1000000.0, -6.361406848876743),
            (0.001, 1000000.0, -3.09024045631652),
            (0.025, 1000000.0, -1.9599663568141072),
            (0.3, 1000000.0, -0.5244006798602092),
            (0.975, 1000000.0, 1.959966356814107),
            (0.999, 1000000.0, 3.09024045631652),
        ]
        for (p, df, quantile) in vectors {
            #expect(
                Tolerance.agrees(StudentT.quantile(p, degreesOfFreedom: df), quantile),
                "quantile(\(p), df: \(df))")
        }
    }

    @Test func quantileInvertsTheCDFFromTheCentreToTheFarTail() {
        for df in [0.3, 0.9, 1, 1.7, 2, 2.5, 4, 14.8, 29.9, 30, 45.5, 1e3, 1e6, 1e12] {
            for p in [1e-300, 1e-100, 1e-12, 1e-4, 0.01, 0.2, 0.4, 0.4999999, 0.7, 0.99] {
                let t = StudentT.quantile(p, degreesOfFreedom: df)
                guard t.isFinite else {
                    // Only heavy tails may leave the double range.
                    #expect(df < 1 && t == -.infinity, "quantile(\(p), df: \(df)) = \(t)")
                    continue
                }
                let back = p < 0.5
                    ? StudentT.cdf(t, degreesOfFreedom: df)
                    : 1 - StudentT.survival(t, degreesOfFreedom: df)
                #expect(Tolerance.agrees(back, p, relative: 1e-12), "df \(df), p \(p): t = \(t)")
            }
        }
    }

    @Test func largeDegreesOfFreedomConvergeToTheNormal() {
        for t in [-37.0, -30, -8, -2, -0.3, 0.7, 4] {
            let normal = Normal.cdf(t)
            #expect(StudentT.cdf(t, degreesOfFreedom: .infinity) == normal)
            // The exact gap is about t⁴/(4ν) relative in the tail: below 1e-14 at ν = 1e20.
            #expect(Tolerance.agrees(StudentT.cdf(t, degreesOfFreedom: 1e20), normal, relative: 1e-12))
            #expect(Tolerance.agrees(StudentT.cdf(t, degreesOfFreedom: 1e300), normal, relative: 1e-12))
        }
        // Near the centre, P(0 < T ≤ t) keeps its digits (no 0.5 − tail cancellation).
        #expect(Tolerance.agrees(StudentT.tailAndCentre(1e-10, .infinity).centre, 3.989422804014327e-11))
        #expect(Tolerance.agrees(StudentT.tailAndCentre(1e-10, 1e6).centre, 3.989422804014327e-11, relative: 1e-6))
        for p in [1e-200, 1e-9, 0.025, 0.6] {
            #expect(Tolerance.agrees(
                StudentT.quantile(p, degreesOfFreedom: 1e20), Normal.quantile(p), relative: 1e-12))
        }
    }

    @Test func cdfIsSymmetricAndMonotone() {
        for df in [0.5, 1, 2.5, 30, 1e6] {
            var previous = 0.0
            for t in stride(from: -50.0, through: 50, by: 0.25) {
                let cdf = StudentT.cdf(t, degreesOfFreedom: df)
                #expect(cdf >= previous, "df \(df), t \(t)")
                #expect(abs(cdf + StudentT.cdf(-t, degreesOfFreedom: df) - 1) < 1e-15)
                previous = cdf
            }
        }
    }

    @Test func extremeInputsGiveNumbersNotNaN() {
        for df in [1e-3, 0.05, 1, 30, 1e6, 1e300] {
            for t in [-1e300, -1e150, -1e20, 1e-300, 1e300] {
                let cdf = StudentT.cdf(t, degreesOfFreedom: df)
                #expect(cdf >= 0 && cdf <= 1, "cdf(\(t), df: \(df)) = \(cdf)")
            }
            #expect(StudentT.cdf(-.infinity, degreesOfFreedom: df) == 0)
            #expect(StudentT.cdf(.infinity, degreesOfFreedom: df) == 1)
            #expect(StudentT.twoSidedPValue(0, degreesOfFreedom: df) == 1)
            let q = StudentT.quantile(1e-300, degreesOfFreedom: df)
            #expect(!q.isNaN && q < 0, "quantile(1e-300, df: \(df)) = \(q)")
        }
        // Heavy tails: at ν = 0.001 a quarter of the mass lies below t = −1e300 (mpmath at 60
        // digits: 0.24955665327175237852...; scipy.stats.t.cdf returns 0 here).
        #expect(Tolerance.agrees(StudentT.cdf(-1e300, degreesOfFreedom: 1e-3), 0.24955665327175238, relative: 1e-13))
        #expect(StudentT.cdf(1, degreesOfFreedom: 0).isNaN)
        #expect(StudentT.cdf(1, degreesOfFreedom: -2).isNaN)
        #expect(StudentT.cdf(.nan, degreesOfFreedom: 3).isNaN)
        #expect(StudentT.quantile(0.3, degreesOfFreedom: .nan).isNaN)
        #expect(StudentT.quantile(1.5, degreesOfFreedom: 3).isNaN)
        #expect(StudentT.quantile(0, degreesOfFreedom: 3) == -.infinity)
        #expect(StudentT.quantile(1, degreesOfFreedom: 3) == .infinity)
        #expect(StudentT.quantile(0.5, degreesOfFreedom: 3) == 0)
    }
}
