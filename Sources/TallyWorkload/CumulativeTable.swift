/// A discrete distribution as a cumulative table, drawn by binary search on a uniform variate
/// (the `zipf_table` / `pick` of the reference script).
struct CumulativeTable: Sendable {
    private let cumulative: [Double]

    /// Zipf weights 1/(i+1)^exponent for `count` values.
    static func zipf(count: Int, exponent: Double) -> CumulativeTable {
        // w = (i+1)^−s = exp(−s · log(i+1)), deterministic on every platform.
        let weights = (0..<count).map { DeterministicMath.exp(-exponent * DeterministicMath.log(Double($0 + 1))) }
        let total = weights.reduce(0, +)
        return CumulativeTable(weights.map { $0 / total })
    }

    /// Probabilities summing to about 1 (the last entry catches any rounding shortfall).
    init(_ probabilities: [Double]) {
        var sum = 0.0
        cumulative = probabilities.map { p in
            sum += p
            return sum
        }
    }

    /// The index of the first cumulative value ≥ a uniform draw.
    @inline(__always)
    func draw(_ random: inout WorkloadRandom) -> Int {
        let r = random.uniform()
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) >> 1
            if cumulative[middle] < r { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// Variant assignment: a deterministic hash of `"<unit>/<experiment>"` modulo the number of
/// variants (FNV-1a over the bytes, then the MurmurHash3 finaliser so that every bit, and so
/// every modulus, is well mixed). The script uses BLAKE2b; only the property matters: the same
/// unit always gets the same variant of an experiment, and units split uniformly.
enum VariantAssignment {
    static func variant(unit: String, experiment: String, variantCount: Int) -> Int {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ byte: UInt8) {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        for byte in unit.utf8 { mix(byte) }
        mix(UInt8(ascii: "/"))
        for byte in experiment.utf8 { mix(byte) }
        hash ^= hash >> 33
        hash &*= 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        hash &*= 0xC4CE_B9FE_1A85_EC53
        hash ^= hash >> 33
        return Int(hash % UInt64(variantCount))
    }
}
