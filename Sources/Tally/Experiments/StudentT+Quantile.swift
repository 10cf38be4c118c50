#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension StudentT {
    /// The p-quantile: t with P(T ≤ t) = p.
    ///
    /// Domain: ν > 0, 0 ≤ p ≤ 1 (NaN otherwise); p = 0 and 1 give ∓∞, p = ½ gives 0. When the
    /// exact quantile exceeds the double range (tiny p with ν well below 1) the result is ±∞.
    /// Closed forms for ν = 1 and 2; otherwise Hill's approximation (ACM Algorithm 396, 1970;
    /// for ν < 1 the power-law tail) refined by a safeguarded Newton iteration on the CDF, which
    /// leaves about 1e-14 relative error.
    static func quantile(_ p: Double, degreesOfFreedom df: Double) -> Double {
        guard df > 0, p >= 0, p <= 1 else { return .nan }
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        if p == 0.5 { return 0 }
        if df == .infinity { return Normal.quantile(p) }
        let tail = min(p, 1 - p)  // 1 − p is exact for p ≥ ½
        let magnitude = upperQuantile(tail: tail, df)
        return p < 0.5 ? -magnitude : magnitude
    }

    /// m > 0 with P(T > m) = tail, for 0 < tail < ½.
    private static func upperQuantile(tail: Double, _ df: Double) -> Double {
        if df == 1 { return tail > 0.25 ? tan(Double.pi * (0.5 - tail)) : 1 / tan(Double.pi * tail) }
        if df == 2 { return (1 - 2 * tail) / (2 * tail * (1 - tail)).squareRoot() }
        let largest = Double.greatestFiniteMagnitude
        var m = df >= 1 ? hillGuess(tail: tail, df) : powerLawGuess(tail: tail, df)
        if !(m > 0) { m = max(-Normal.quantile(tail), 1) }
        m = min(m, largest)
        // Near the centre solve centre(m) = ½ − tail (exact); elsewhere ln tail(m) = ln tail,
        // whose Newton step needs only the ratio tail/density (no underflow at 1e-300).
        let byCentre = tail > 0.25
        let logTarget = log(tail)
        var lower = 0.0, upper = Double.infinity
        for _ in 0..<200 {
            let parts = tailAndCentre(m, df)
            let logDensity = logDensity(m, degreesOfFreedom: df)
            let residual = byCentre ? (0.5 - tail) - parts.centre : log(parts.tail) - logTarget
            if residual > 0 {
                lower = m
                if m == largest { return .infinity }
            } else if residual < 0 {
                upper = m
            } else {
                return m
            }
            let step = byCentre
                ? residual / exp(logDensity)
                : residual * exp(log(parts.tail) - logDensity)
            var next = m + step
            if !(next > lower && next < upper) {
                if upper == .infinity {
                    next = min(2 * max(m, 1), largest)
                } else if lower > 0 && upper > 4 * lower {
                    next = (lower * upper).squareRoot()
                } else {
                    next = 0.5 * (lower + upper)
                }
            }
            if abs(next - m) <= 1e-14 * m || next == lower || next == upper { return next }
            m = next
        }
        return m
    }

    /// Hill's starting value (G. W. Hill, "Algorithm 396: Student's t-quantiles", CACM 13, 1970,
    /// as in R's `qt`), for ν ≥ 1.
    private static func hillGuess(tail: Double, _ n: Double) -> Double {
        let twoSided = 2 * tail
        let a = 1 / (n - 0.5)
        let b = 48 / (a * a)
        var c = ((20700 * a / b - 98) * a - 16) * a + 96.36
        let d = ((94.5 / (b + c) - 3) / b + 1) * (a * Double.pi / 2).squareRoot() * n
        var y = pow(d * twoSided, 2 / n)
        var x = 0.0
        let direct = y >= Double.ulpOfOne
        if !direct {
            x = (log(d) + log(twoSided)) / n
            y = exp(2 * x)
        }
        if (n < 2.1 && twoSided > 0.5) || y > 0.05 + a {
            // Asymptotic inverse expansion about the normal.
            x = Normal.quantile(tail)
            y = x * x
            if n < 5 { c += 0.3 * (n - 4.5) * (x + 0.6) }
            c = (((0.05 * d * x - 5) * x - 7) * x - 2) * x + b + c
            y = (((((0.4 * y + 6.3) * y + 36) * y + 94.5) / c - y - 3) / b + 1) * x
            return (n * expm1(a * y * y)).squareRoot()
        }
        if !direct && x < -log(2.0) * 53 { return n.squareRoot() * exp(-x) }
        y = ((1 / (((n + 6) / (n * y) - 0.089 * d - 0.822) * (n + 2) * 3) + 0.5 / (n + 4)) * y - 1)
            * (n + 1) / (n + 2) + 1 / y
        return (n * y).squareRoot()
    }

    /// The power-law tail P(T > m) ≈ k ν^((ν−1)/2) m^(−ν), k = f(0), solved for m (for ν < 1).
    private static func powerLawGuess(tail: Double, _ df: Double) -> Double {
        exp((logDensity(0, degreesOfFreedom: df) + 0.5 * (df - 1) * log(df) - log(tail)) / df)
    }
}
