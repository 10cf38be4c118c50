#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Gamma- and beta-function building blocks for `Normal`, `StudentT` and `ChiSquare`.
///
/// Contract: pure functions of their arguments, safe to call from any thread (`lgamma_r`, never
/// the `signgam`-writing `lgamma`). Domains are stated per function; outside them the result is
/// unspecified, so callers check their inputs first.
enum SpecialFunctions {
    /// ln Γ(x) for x > 0.
    static func logGamma(_ x: Double) -> Double {
        var sign: Int32 = 0
        return lgamma_r(x, &sign)
    }

    /// The Stirling-series remainder δ(x) = ln Γ(x) − [(x − ½) ln x − x + ½ ln 2π], for x ≥ 10.
    ///
    /// Eight terms of the asymptotic series; the first omitted one is below 1e-19 at x = 10.
    static func stirlingCorrection(_ x: Double) -> Double {
        let coefficients: [Double] = [
            1.0 / 12, -1.0 / 360, 1.0 / 1260, -1.0 / 1680,
            1.0 / 1188, -691.0 / 360_360, 1.0 / 156, -3617.0 / 122_400,
        ]
        let inverseSquare = 1 / (x * x)
        var sum = 0.0
        for coefficient in coefficients.reversed() { sum = sum * inverseSquare + coefficient }
        return sum / x
    }

    /// ln Γ(a + b) − ln Γ(a) for a ≥ 10 and b > 0, without the cancellation of two large
    /// `logGamma` values (TOMS 708 `algdiv`, restated through `stirlingCorrection`).
    static func logGammaRatio(_ a: Double, plus b: Double) -> Double {
        (a - 0.5) * log1p(b / a) + b * log(a + b) - b
            + stirlingCorrection(a + b) - stirlingCorrection(a)
    }

    /// ln B(a, b) for a, b > 0; accurate in relative terms for large arguments too
    /// (the scheme of R's `lbeta`: Stirling corrections once an argument reaches 10).
    static func logBeta(_ a: Double, _ b: Double) -> Double {
        let small = min(a, b), large = max(a, b)
        let ratio = small / (small + large)
        if small >= 10 {
            let correction = stirlingCorrection(small) + stirlingCorrection(large)
                - stirlingCorrection(small + large)
            return -0.5 * log(large) + 0.5 * log(2 * Double.pi) + correction
                + (small - 0.5) * log(ratio) + large * log1p(-ratio)
        }
        if large >= 10 {
            let correction = stirlingCorrection(large) - stirlingCorrection(small + large)
            return logGamma(small) + correction + small - small * log(small + large)
                + (large - 0.5) * log1p(-ratio)
        }
        return logGamma(small) + logGamma(large) - logGamma(small + large)
    }

    /// The continued fraction of I_x(a, b), evaluated by the modified Lentz method
    /// (Numerical Recipes §6.4 `betacf`): I_x(a, b) = xᵃ(1−x)ᵇ / (a B(a, b)) · result.
    ///
    /// Converges quickly for 0 ≤ x < (a + 1) / (a + b + 2); callers use the symmetry
    /// I_x(a, b) = 1 − I_{1−x}(b, a) beyond that.
    static func betaContinuedFraction(_ a: Double, _ b: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        func guarded(_ value: Double) -> Double { abs(value) < tiny ? tiny : value }
        var c = 1.0
        var d = 1 / guarded(1 - (a + b) * x / (a + 1))
        var result = d
        for step in 1...10_000 {
            let m = Double(step), twoM = 2 * m
            let even = m * (b - m) * x / ((a + twoM - 1) * (a + twoM))
            d = 1 / guarded(1 + even * d)
            c = guarded(1 + even / c)
            result *= d * c
            let odd = -(a + m) * (a + b + m) * x / ((a + twoM) * (a + twoM + 1))
            d = 1 / guarded(1 + odd * d)
            c = guarded(1 + odd / c)
            let delta = d * c
            result *= delta
            if abs(delta - 1) <= 1e-16 { break }
        }
        return result
    }

    /// ln(xᵃ e⁻ˣ / Γ(a)) for a > 0, x > 0; in the Temme form for a ≥ 10, where
    /// a ln x − x − ln Γ(a) would cancel: −a(e − ln(1 + e)) + ½ ln(a / 2π) − δ(a), e = (x − a)/a.
    static func logGammaDensityFactor(_ a: Double, _ x: Double) -> Double {
        guard a >= 10 else { return a * log(x) - x - logGamma(a) }
        let e = (x - a) / a
        return -a * (e - log1p(e)) + 0.5 * log(a / (2 * Double.pi)) - stirlingCorrection(a)
    }

    /// The regularized incomplete gamma functions P(a, x) and Q(a, x) = 1 − P(a, x) for a > 0,
    /// x ≥ 0, each accurate in relative terms where it is the smaller one: the series for P
    /// when x < a + 1, the Lentz continued fraction for Q otherwise (Numerical Recipes §6.2
    /// `gser`/`gcf`). Iterations grow like √a; the cap covers a up to about 1e12.
    static func regularizedGamma(_ a: Double, _ x: Double) -> (lower: Double, upper: Double) {
        if x <= 0 { return (0, 1) }
        if x == .infinity { return (1, 0) }
        let factor = exp(logGammaDensityFactor(a, x))
        let limit = 10_000 + Int(10 * min(a, 1e12).squareRoot())
        if x < a + 1 {
            var term = 1 / a, sum = term, denominator = a
            for _ in 0..<limit {
                denominator += 1
                term *= x / denominator
                sum += term
                if abs(term) < abs(sum) * 1e-17 { break }
            }
            let lower = min(1, sum * factor)
            return (lower, 1 - lower)
        }
        let tiny = 1e-300
        func guarded(_ value: Double) -> Double { abs(value) < tiny ? tiny : value }
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var fraction = d
        for i in 1...limit {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = 1 / guarded(an * d + b)
            c = guarded(b + an / c)
            let delta = d * c
            fraction *= delta
            if abs(delta - 1) <= 1e-16 { break }
        }
        let upper = min(1, factor * fraction)
        return (1 - upper, upper)
    }
}
