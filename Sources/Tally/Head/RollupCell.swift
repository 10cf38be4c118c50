/// The aggregate of one (metric, series, bucket): the row of a rollup, in memory and on disk.
struct RollupCell: Equatable {
    /// Events counted.
    var count: UInt64 = 0
    /// Events that carried a value; `sum`, `min` and `max` are over those.
    var valueCount: UInt64 = 0
    var sum: Double = 0
    var min: Double = .infinity
    var max: Double = -.infinity
    /// Distinct units; `nil` until an event with a unit arrives.
    var units: HyperLogLog?

    @inline(__always)
    mutating func add(value: Double?) {
        count += 1
        if let value {
            valueCount += 1
            sum += value
            if value < min { min = value }
            if value > max { max = value }
        }
    }

    /// Adds a unit's hash; returns the change in the sketch's memory footprint.
    @inline(__always)
    mutating func add(unitHash: UInt64) -> Int {
        if units == nil {
            var sketch = HyperLogLog()
            sketch.insert(hash: unitHash)
            units = sketch
            return sketch.approximateByteSize
        }
        let before = units!.approximateByteSize
        units!.insert(hash: unitHash)
        return units!.approximateByteSize - before
    }

    mutating func merge(_ other: RollupCell) {
        count += other.count
        valueCount += other.valueCount
        sum += other.sum
        if other.min < min { min = other.min }
        if other.max > max { max = other.max }
        if let sketch = other.units {
            if units == nil { units = sketch } else { units!.merge(sketch) }
        }
    }
}
