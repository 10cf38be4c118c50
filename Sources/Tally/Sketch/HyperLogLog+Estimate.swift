extension HyperLogLog {
    /// 1 / (2 ln 2): the limit of the HyperLogLog bias-correction constant as m grows.
    static let alphaInfinity = 0.721_347_520_444_481_7

    /// The estimated number of distinct hashes inserted.
    ///
    /// - Sparse: linear counting over the m′ = 2^25 sparse slots, m′ · ln(m′ / (m′ − n)) with n the
    ///   number of distinct idx′. It is exact but for idx′ collisions, which it corrects for on
    ///   average (1000 units collide with probability ≈ 1.5 %, and the estimate still rounds to
    ///   within one).
    /// - Dense: Otmar Ertl's improved raw estimator ("New cardinality estimation algorithms for
    ///   HyperLogLog sketches", 2017, Algorithm 6), which is unbiased from 0 to far beyond 2^50
    ///   without the empirical bias tables or the linear-counting switch of HLL++.
    func estimate() -> Double {
        let sketch = normalized()
        if sketch.registers.isEmpty {
            return Self.linearCounting(occupied: sketch.sortedEntryCount, slots: Self.sparseIndexCount)
        }
        return Self.improvedRawEstimate(sketch.registers)
    }

    /// m · ln(m / (m − n)) for n ≤ m / 2, as 2m · atanh(n / (2m − n)): exact near n = 0, where
    /// a ratio close to 1 would lose digits in a logarithm, and free of any math library.
    static func linearCounting(occupied: Int, slots: Int) -> Double {
        guard occupied > 0 else { return 0 }
        let m = Double(slots)
        let n = Double(occupied)
        let z = n / (2 * m - n)
        // atanh(z) = z + z³/3 + z⁵/5 + …; for sparse sketches z < 5e-5, so a few terms suffice.
        let zSquared = z * z
        var power = z
        var sum = z
        var denominator = 1.0
        while true {
            power *= zSquared
            denominator += 2
            let next = sum + power / denominator
            if next == sum { break }
            sum = next
        }
        return 2 * m * sum
    }

    /// Ertl's improved raw estimator over the register histogram C₀…C_{q+1}, q = 64 − p:
    /// α∞ m² / (m σ(C₀/m) + Σ_{k=1…q} C_k 2^−k + m τ(1 − C_{q+1}/m) 2^−q), the sum evaluated
    /// Horner-style from k = q down.
    static func improvedRawEstimate(_ registers: [UInt8]) -> Double {
        let q = 64 - precision
        var histogram = [Int](repeating: 0, count: 64)
        histogram.withUnsafeMutableBufferPointer { histogram in
            registers.withUnsafeBufferPointer { registers in
                for value in registers { histogram[Int(value & 63)] += 1 }
            }
        }
        let m = Double(registers.count)
        var z = m * tau(1 - Double(histogram[q + 1]) / m)
        for k in stride(from: q, through: 1, by: -1) {
            z = 0.5 * (z + Double(histogram[k]))
        }
        z += m * sigma(Double(histogram[0]) / m)
        return alphaInfinity * m * m / z
    }

    /// σ(x) = x + Σ_{k≥1} x^(2^k) 2^(k−1), for x in [0, 1]; infinite at 1 (no register set).
    static func sigma(_ x: Double) -> Double {
        if x == 1 { return .infinity }
        var power = x
        var weight = 1.0
        var sum = x
        while true {
            power *= power
            let next = sum + power * weight
            if next == sum { return sum }
            sum = next
            weight += weight
        }
    }

    /// τ(x) = (1 − x − Σ_{k≥1} (1 − x^(2^−k))² 2^−k) / 3, for x in [0, 1].
    static func tau(_ x: Double) -> Double {
        if x == 0 || x == 1 { return 0 }
        var root = x
        var weight = 1.0
        var sum = 1 - x
        while true {
            root = root.squareRoot()
            weight *= 0.5
            let next = sum - (1 - root) * (1 - root) * weight
            if next == sum { return sum / 3 }
            sum = next
        }
    }
}
