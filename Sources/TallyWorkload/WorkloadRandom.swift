/// xoshiro256** seeded through SplitMix64, with the few distributions the model draws from.
///
/// Only integer arithmetic, IEEE basic operations and ``DeterministicMath`` are used, so a seed
/// gives the same draws on every platform.
struct WorkloadRandom {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    init(seed: UInt64) {
        var state = seed
        func splitMix() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    @inline(__always)
    private static func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    mutating func next() -> UInt64 {
        let result = WorkloadRandom.rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = WorkloadRandom.rotateLeft(s3, 45)
        return result
    }

    /// Uniform in [0, 1), a multiple of 2⁻⁵³.
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in 0..<bound, without bias (Lemire's multiply-and-reject). `bound` > 0.
    mutating func below(_ bound: UInt64) -> UInt64 {
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
        }
        return product.high
    }

    mutating func below(_ bound: Int64) -> Int64 { Int64(below(UInt64(bound))) }
    mutating func below(_ bound: Int) -> Int { Int(below(UInt64(bound))) }

    /// Exponentially distributed with this mean (like Python's `expovariate(1 / mean)`).
    mutating func exponential(mean: Double) -> Double {
        -DeterministicMath.log(1.0 - uniform()) * mean
    }

    /// Normally distributed (Marsaglia's polar method; the second variate is discarded).
    mutating func gaussian(mean: Double, standardDeviation: Double) -> Double {
        while true {
            let u = 2.0 * uniform() - 1.0
            let v = 2.0 * uniform() - 1.0
            let s = u * u + v * v
            if s >= 1.0 || s == 0.0 { continue }
            let scale = (-2.0 * DeterministicMath.log(s) / s).squareRoot()
            return mean + standardDeviation * u * scale
        }
    }
}
