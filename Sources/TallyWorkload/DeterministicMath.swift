/// `log`, `exp` and `sin` from IEEE basic operations only (no platform libm), so generated
/// streams are bit-for-bit the same on every platform. Accurate to a few ulps, which is all
/// the model needs.
enum DeterministicMath {
    /// ln 2 split so that `k * ln2High` is exact for |k| < 2¹¹ (fdlibm's constants).
    private static let ln2High = 6.93147180369123816490e-01
    private static let ln2Low = 1.90821492927058770002e-10
    private static let log2E = 1.44269504088896338700e+00
    private static let sqrt2 = 1.41421356237309504880
    static let pi = 3.14159265358979311600e+00

    /// Natural logarithm of a positive finite `x`.
    static func log(_ x: Double) -> Double {
        precondition(x > 0 && x.isFinite, "log of \(x)")
        var exponent = Double(Int(x.exponent))
        var mantissa = x.significand  // [1, 2)
        if mantissa > sqrt2 {
            mantissa *= 0.5
            exponent += 1
        }
        // log(m) = 2 atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.172: the odd series to s²³ suffices.
        let s = (mantissa - 1.0) / (mantissa + 1.0)
        let s2 = s * s
        var series = 1.0 / 23.0
        var k = 21.0
        while k >= 3.0 {
            series = series * s2 + 1.0 / k
            k -= 2.0
        }
        let logMantissa = 2.0 * (s + s * s2 * series)
        return exponent * ln2High + (exponent * ln2Low + logMantissa)
    }

    /// e^x; 0 below −745, +∞ above 709.78.
    static func exp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > 709.78 { return .infinity }
        if x < -745.0 { return 0 }
        let k = (x * log2E).rounded()
        let r = (x - k * ln2High) - k * ln2Low  // |r| ≤ 0.347
        var series = 1.0
        var n = 17.0
        while n >= 1.0 {
            series = 1.0 + series * r / n
            n -= 1.0
        }
        // Scale by 2^k in two exact steps (the second may round only into subnormals).
        let half = Int(k) / 2
        return series * Double(sign: .plus, exponent: half, significand: 1.0)
            * Double(sign: .plus, exponent: Int(k) - half, significand: 1.0)
    }

    /// sin x for |x| ≤ 4π (plenty for the daily cycle).
    static func sin(_ x: Double) -> Double {
        var y = x
        while y > pi { y -= 2.0 * pi }
        while y < -pi { y += 2.0 * pi }
        if y > pi / 2 { y = pi - y }
        if y < -pi / 2 { y = -pi - y }
        // Taylor series to y²⁵ for |y| ≤ π/2.
        let y2 = y * y
        var series = 1.0
        var n = 25.0
        while n >= 3.0 {
            series = 1.0 - series * y2 / (n * (n - 1.0))
            n -= 2.0
        }
        return y * series
    }
}
