// The hypothesis tests of the A/B variant report: a treatment variant against the control.
//
// Every function is pure and returns `nil` for inputs on which its statistic is undefined or
// invalid (stated per function). Differences are always treatment − control. The formulas are
// written out in the report's documentation (statistics.md).

/// A two-sided confidence interval for treatment − control.
struct ConfidenceInterval: Sendable, Equatable {
    var lower: Double
    var upper: Double
}

/// What the engine keeps per variant for a value metric: the number of exposed units, and the
/// sum and sum of squares of the per-unit totals. A unit without values contributes 0 to both
/// sums and still counts.
struct SampleMoments: Sendable, Equatable {
    var count: Int
    var sum: Double
    var sumOfSquares: Double
}

/// The result of `twoProportionZTest`.
struct ProportionComparison: Sendable, Equatable {
    var controlRate: Double
    var treatmentRate: Double
    /// treatmentRate − controlRate.
    var difference: Double
    /// difference / controlRate; nil when controlRate is 0.
    var relativeLift: Double?
    /// The unpooled standard error √(p₁(1−p₁)/n₁ + p₂(1−p₂)/n₂), which the interval uses.
    var standardError: Double
    /// difference ± z · standardError (Wald interval).
    var confidenceInterval: ConfidenceInterval
    /// difference / pooled standard error; 0 when the pooled standard error is 0.
    var zScore: Double
    /// Two-sided, from the pooled z-score.
    var pValue: Double
}

/// The result of `welchTTest`.
struct MeanComparison: Sendable, Equatable {
    var controlMean: Double
    var treatmentMean: Double
    /// treatmentMean − controlMean.
    var difference: Double
    /// difference / controlMean; nil when controlMean is 0.
    var relativeLift: Double?
    /// Unbiased sample variances (divisor n − 1).
    var controlVariance: Double
    var treatmentVariance: Double
    /// √(s₁²/n₁ + s₂²/n₂).
    var standardError: Double
    /// Welch–Satterthwaite degrees of freedom (n₁ + n₂ − 2 when both variances are 0).
    var degreesOfFreedom: Double
    /// difference / standardError; ±∞ when that is 0 and the means differ, 0 when they are equal.
    var tStatistic: Double
    var confidenceInterval: ConfidenceInterval
    var pValue: Double
}

/// Two-proportion z-test of treatment against control.
///
/// p-value: two-sided, with the pooled standard error √(p̂(1−p̂)(1/n₁ + 1/n₂)),
/// p̂ = (x₁ + x₂)/(n₁ + n₂). Interval: Wald, with the unpooled standard error.
/// When the pooled standard error is 0 (both rates 0, or both 1) the difference is 0, the
/// z-score 0 and the p-value 1. When only the unpooled one is 0 (rates 0 and 1) the interval
/// collapses onto the difference.
///
/// Returns nil when a total is not positive, successes fall outside 0...total, or confidence is
/// not strictly between 0 and 1.
func twoProportionZTest(
    controlSuccesses: Int, controlTotal: Int,
    treatmentSuccesses: Int, treatmentTotal: Int,
    confidence: Double = 0.95
) -> ProportionComparison? {
    guard controlTotal > 0, treatmentTotal > 0,
          (0...controlTotal).contains(controlSuccesses),
          (0...treatmentTotal).contains(treatmentSuccesses),
          confidence > 0, confidence < 1
    else { return nil }
    let n1 = Double(controlTotal), n2 = Double(treatmentTotal)
    let p1 = Double(controlSuccesses) / n1, q1 = Double(controlTotal - controlSuccesses) / n1
    let p2 = Double(treatmentSuccesses) / n2, q2 = Double(treatmentTotal - treatmentSuccesses) / n2
    let difference = p2 - p1
    let standardError = (p1 * q1 / n1 + p2 * q2 / n2).squareRoot()
    let margin = -Normal.quantile((1 - confidence) / 2) * standardError

    let successes = Double(controlSuccesses) + Double(treatmentSuccesses)
    let pooled = successes / (n1 + n2), pooledComplement = (n1 + n2 - successes) / (n1 + n2)
    let pooledError = (pooled * pooledComplement * (1 / n1 + 1 / n2)).squareRoot()
    let zScore = pooledError > 0 ? difference / pooledError : 0
    return ProportionComparison(
        controlRate: p1, treatmentRate: p2, difference: difference,
        relativeLift: p1 > 0 ? difference / p1 : nil,
        standardError: standardError,
        confidenceInterval: ConfidenceInterval(lower: difference - margin, upper: difference + margin),
        zScore: zScore,
        pValue: pooledError > 0 ? Normal.twoSidedPValue(zScore) : 1)
}

/// Welch's unequal-variance t-test of treatment against control, from per-variant moments.
///
/// s² = (Σx² − (Σx)²/n)/(n − 1), with the product rounded once (fused multiply-add) and a
/// result within rounding noise of 0 (≤ 4ε·Σx², including negative ones) taken as exactly 0;
/// ν = (s₁²/n₁ + s₂²/n₂)² / ((s₁²/n₁)²/(n₁−1) + (s₂²/n₂)²/(n₂−1)); t = difference/standardError;
/// p-value two-sided from t with ν degrees of freedom; interval difference ± t_{ν}·standardError.
/// When both variances are 0: ν = n₁ + n₂ − 2, the interval collapses onto the difference, and
/// the p-value is 1 if the means are equal and 0 otherwise.
///
/// Returns nil when either count is below 2, a sum is not finite, the values are so large that
/// the variance or the difference overflows, or confidence is not strictly between 0 and 1.
/// Otherwise every field is a number (no NaN), and the interval has lower ≤ upper.
func welchTTest(
    control: SampleMoments, treatment: SampleMoments, confidence: Double = 0.95
) -> MeanComparison? {
    guard control.count >= 2, treatment.count >= 2, confidence > 0, confidence < 1,
          [control.sum, control.sumOfSquares, treatment.sum, treatment.sumOfSquares]
              .allSatisfy(\.isFinite)
    else { return nil }
    let (mean1, variance1) = meanAndVariance(control)
    let (mean2, variance2) = meanAndVariance(treatment)
    let n1 = Double(control.count), n2 = Double(treatment.count)
    let share1 = variance1 / n1, share2 = variance2 / n2
    let total = share1 + share2
    let difference = mean2 - mean1
    guard total.isFinite, difference.isFinite else { return nil }
    let relativeLift = mean1 != 0 ? difference / mean1 : nil
    guard total > 0 else {
        return MeanComparison(
            controlMean: mean1, treatmentMean: mean2, difference: difference,
            relativeLift: relativeLift, controlVariance: 0, treatmentVariance: 0,
            standardError: 0, degreesOfFreedom: n1 + n2 - 2,
            tStatistic: difference == 0 ? 0 : (difference > 0 ? .infinity : -.infinity),
            confidenceInterval: ConfidenceInterval(lower: difference, upper: difference),
            pValue: difference == 0 ? 1 : 0)
    }
    // The Welch–Satterthwaite formula on the shares of the variance, so that nothing overflows.
    let r1 = share1 / total, r2 = share2 / total
    let degreesOfFreedom = 1 / (r1 * r1 / (n1 - 1) + r2 * r2 / (n2 - 1))
    let standardError = total.squareRoot()
    let tStatistic = difference / standardError
    let critical = -StudentT.quantile((1 - confidence) / 2, degreesOfFreedom: degreesOfFreedom)
    return MeanComparison(
        controlMean: mean1, treatmentMean: mean2, difference: difference,
        relativeLift: relativeLift, controlVariance: variance1, treatmentVariance: variance2,
        standardError: standardError, degreesOfFreedom: degreesOfFreedom, tStatistic: tStatistic,
        confidenceInterval: ConfidenceInterval(
            lower: difference - critical * standardError, upper: difference + critical * standardError),
        pValue: StudentT.twoSidedPValue(tStatistic, degreesOfFreedom: degreesOfFreedom))
}

/// Mean and unbiased variance from moments with count ≥ 2 (see `welchTTest`).
private func meanAndVariance(_ moments: SampleMoments) -> (mean: Double, variance: Double) {
    let n = Double(moments.count)
    let mean = moments.sum / n
    // Σx² − Σx · mean with one rounding (fused multiply-add).
    var squaredDeviations = moments.sumOfSquares.addingProduct(-moments.sum, mean)
    if squaredDeviations <= 4 * Double.ulpOfOne * moments.sumOfSquares { squaredDeviations = 0 }
    return (mean, squaredDeviations / (n - 1))
}

/// The sample-ratio-mismatch p-value: Pearson's chi-square goodness-of-fit test of the observed
/// units per variant against the planned split.
///
/// Expected counts eᵢ = N·wᵢ/Σw (equal weights when `weights` is nil); statistic
/// Σ(oᵢ − eᵢ)²/eᵢ; p-value P(χ²_{k−1} > statistic). Returns nil with fewer than 2 groups, a
/// negative count, a total of 0, or weights of the wrong length or not finite and positive.
func chiSquareGoodnessOfFit(observed: [Int], weights: [Double]? = nil) -> Double? {
    let weights = weights ?? Array(repeating: 1, count: observed.count)
    guard observed.count >= 2, observed.allSatisfy({ $0 >= 0 }),
          weights.count == observed.count, weights.allSatisfy({ $0.isFinite && $0 > 0 })
    else { return nil }
    let total = observed.reduce(0.0) { $0 + Double($1) }
    let weightSum = weights.reduce(0, +)
    guard total > 0, weightSum.isFinite else { return nil }
    var statistic = 0.0
    for (count, weight) in zip(observed, weights) {
        let expected = total * weight / weightSum
        let deviation = Double(count) - expected
        if expected > 0 {
            statistic += deviation * deviation / expected
        } else if count > 0 {
            statistic = .infinity  // a weight so small its expected count underflows, yet observed
        }
    }
    return ChiSquare.survival(statistic, degreesOfFreedom: Double(observed.count - 1))
}
