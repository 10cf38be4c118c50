#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard normal distribution N(0, 1).
///
/// Accuracy: `cdf`/`survival` are relative to a few ulps over the whole double range (down to
/// Φ(−38.4) ≈ 1e-323, below which the true value is not representable and 0 is returned);
/// `quantile` is Wichura's AS241, good to about 1e-16 relative.
enum Normal {
    /// Φ(x) = P(Z ≤ x). Domain: every x; ±∞ give 0 and 1, NaN gives NaN.
    static func cdf(_ x: Double) -> Double { lowerTail(x) }

    /// 1 − Φ(x) = P(Z > x), computed directly (no cancellation for large x).
    static func survival(_ x: Double) -> Double { lowerTail(-x) }

    /// P(|Z| ≥ |z|) = 2 Φ(−|z|), in [0, 1].
    static func twoSidedPValue(_ z: Double) -> Double { min(1, 2 * lowerTail(-abs(z))) }

    /// φ(x) = e^(−x²/2) / √(2π).
    static func density(_ x: Double) -> Double { exp(-0.5 * x * x) / (2 * Double.pi).squareRoot() }

    /// Φ(x) = ½ erfc(−x/√2), with the rounding of −x/√2 corrected to first order: the argument
    /// error δ of u = fl(−x/√2) costs a relative 2uδ ≈ 1e-13 at x = −30 otherwise.
    private static func lowerTail(_ x: Double) -> Double {
        let inverseRoot2 = 0.7071067811865476  // 1/√2 rounded; the rest is below.
        let inverseRoot2Low = -4.8336466567264565e-17
        let twoOverRootPi = 1.1283791670955126
        let u = -x * inverseRoot2
        guard u.isFinite, u > 1 else { return 0.5 * erfc(u) }
        let delta = fma(-x, inverseRoot2, -u) + (-x) * inverseRoot2Low  // u_exact − u
        return 0.5 * (erfc(u) - delta * twoOverRootPi * exp(-u * u))
    }

    /// Φ⁻¹(p), Wichura's algorithm AS241 (PPND16, Applied Statistics 37, 1988, 477–484).
    ///
    /// Domain: 0 ≤ p ≤ 1; 0 and 1 give ∓∞, anything else (or NaN) gives NaN. Callers who need an
    /// upper quantile pass the small tail and negate, as 1 − p loses digits when p is near 0.
    static func quantile(_ p: Double) -> Double {
        guard p >= 0, p <= 1 else { return .nan }
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        let q = p - 0.5
        if abs(q) <= 0.425 {
            let r = 0.180625 - q * q
            return q * polynomial(r, [
                3.3871328727963666080e0, 1.3314166789178437745e+2, 1.9715909503065514427e+3,
                1.3731693765509461125e+4, 4.5921953931549871457e+4, 6.7265770927008700853e+4,
                3.3430575583588128105e+4, 2.5090809287301226727e+3,
            ]) / polynomial(r, [
                1.0, 4.2313330701600911252e+1, 6.8718700749205790830e+2, 5.3941960214247511077e+3,
                2.1213794301586595867e+4, 3.9307895800092710610e+4, 2.8729085735721942674e+4,
                5.2264952788528545610e+3,
            ])
        }
        var r = (-log(q < 0 ? p : 1 - p)).squareRoot()
        let value: Double
        if r <= 5 {
            r -= 1.6
            value = polynomial(r, [
                1.42343711074968357734e0, 4.63033784615654529590e0, 5.76949722146069140550e0,
                3.64784832476320460504e0, 1.27045825245236838258e0, 2.41780725177450611770e-1,
                2.27238449892691845833e-2, 7.74545014278341407640e-4,
            ]) / polynomial(r, [
                1.0, 2.05319162663775882187e0, 1.67638483018380384940e0, 6.89767334985100004550e-1,
                1.48103976427480074590e-1, 1.51986665636164571966e-2, 5.47593808499534494600e-4,
                1.05075007164441684324e-9,
            ])
        } else {
            r -= 5
            value = polynomial(r, [
                6.65790464350110377720e0, 5.46378491116411436990e0, 1.78482653991729133580e0,
                2.96560571828504891230e-1, 2.65321895265761230930e-2, 1.24266094738807843860e-3,
                2.71155556874348757815e-5, 2.01033439929228813265e-7,
            ]) / polynomial(r, [
                1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1, 1.48753612908506148525e-2,
                7.86869131145613259100e-4, 1.84631831751005468180e-5, 1.42151175831644588870e-7,
                2.04426310338993978564e-15,
            ])
        }
        return q < 0 ? -value : value
    }

    /// Σ coefficients[i] · xⁱ by Horner's rule.
    private static func polynomial(_ x: Double, _ coefficients: [Double]) -> Double {
        coefficients.reversed().reduce(0) { $0 * x + $1 }
    }
}

/// The chi-square distribution with k > 0 degrees of freedom (k need not be an integer).
enum ChiSquare {
    /// P(X > x) = Q(k/2, x/2), the regularized upper incomplete gamma function.
    ///
    /// Domain: k > 0 and finite (NaN otherwise); x ≤ 0 gives 1, x = ∞ gives 0. Relative accuracy
    /// about 1e-13 even where the result is tiny (1e-300); it underflows to 0 only below the
    /// double range.
    static func survival(_ x: Double, degreesOfFreedom k: Double) -> Double {
        guard k > 0, k.isFinite, !x.isNaN else { return .nan }
        return SpecialFunctions.regularizedGamma(k / 2, x / 2).upper
    }

    /// P(X ≤ x) = P(k/2, x/2), computed directly (accurate where it is small).
    static func cdf(_ x: Double, degreesOfFreedom k: Double) -> Double {
        guard k > 0, k.isFinite, !x.isNaN else { return .nan }
        return SpecialFunctions.regularizedGamma(k / 2, x / 2).lower
    }
}
