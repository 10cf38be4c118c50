/// The aggregate of one (metric, series, bucket): the row of a rollup, in memory and on disk.
struct RollupCell: Equatable {
    /// Events counted.
    var count: UInt64 = 0
    /// Events that carried a value; `sum`, `min` and `max` are over those.
    var valueCount: UInt64 = 0
    /// The sum of values as a double-double: `sum + sumLow` carries about 106 bits, so the
    /// rounded total (``total``) does not depend on the order in which values and cells were
    /// added: merging segments (queries, compaction) gives the same answer bit for bit.
    var sum: Double = 0
    var sumLow: Double = 0
    var min: Double = .infinity
    var max: Double = -.infinity
    /// Distinct units; `nil` until an event with a unit arrives.
    var units: HyperLogLog?

    @inline(__always)
    mutating func add(value: Double?) {
        count += 1
        if let value {
            valueCount += 1
            addToSum(value, 0)
            if value < min { min = value }
            if value > max { max = value }
        }
    }

    /// Adds a unit's hash; returns the change in the sketch's memory footprint.
    @inline(__always)
    mutating func add(unitHash: UInt64) -> Int {
        if case .none = units {
            var sketch = HyperLogLog()
            sketch.insert(hash: unitHash)
            units = sketch
            return sketch.approximateByteSize
        }
        return units.updateStarted { sketch in
            let before = sketch.approximateByteSize
            sketch.insert(hash: unitHash)
            return sketch.approximateByteSize - before
        }
    }

    /// The sum of values, rounded once.
    var total: Double { sum + sumLow }

    /// Adds the double-double `high + low` (Knuth's TwoSum, then renormalisation).
    @inline(__always)
    private mutating func addToSum(_ high: Double, _ low: Double) {
        let s = sum + high
        guard s.isFinite else {  // overflow: the error terms would be NaN; IEEE semantics from here
            sum = s + low
            sumLow = 0
            return
        }
        let v = s - sum
        let error = (sum - (s - v)) + (high - v)
        let l = sumLow + low + error
        sum = s + l
        sumLow = l - (sum - s)
    }

    mutating func merge(_ other: RollupCell) {
        mergeCountsAndValues(
            count: other.count, valueCount: other.valueCount, sum: other.sum, sumLow: other.sumLow, min: other.min,
            max: other.max)
        if let sketch = other.units {
            if case .none = units { units = sketch } else { units.updateStarted { $0.merge(sketch) } }
        }
    }

    /// ``merge(_:)`` of a cell given by its fields, without its unit sketch (segment totals,
    /// rule S8).
    @inline(__always)
    mutating func mergeCountsAndValues(count: UInt64, valueCount: UInt64, sum: Double, sumLow: Double, min: Double, max: Double) {
        self.count += count
        if valueCount > 0 { mergeValues(count: valueCount, sum: sum, sumLow: sumLow, min: min, max: max) }
    }

    /// Merges the values of a cell with `count` (> 0) values, their double-double sum and extremes.
    @inline(__always)
    mutating func mergeValues(count: UInt64, sum high: Double, sumLow low: Double, min: Double, max: Double) {
        valueCount += count
        addToSum(high, low)
        if min < self.min { self.min = min }
        if max > self.max { self.max = max }
    }
}
