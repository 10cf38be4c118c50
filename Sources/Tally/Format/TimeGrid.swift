/// Alignment of buckets and partitions.
///
/// Every granularity is aligned to the origin 1970-01-05T00:00Z (a Monday, 345 600 000 ms), so
/// weeks start on Mondays and minutes, hours and days fall on their usual UTC boundaries.
enum TimeGrid {
    static let origin: Int64 = 345_600_000

    /// The start of the span of length `width` that contains `timestamp`.
    @inline(__always)
    static func floor(_ timestamp: Int64, width: Int64) -> Int64 {
        let shifted = timestamp - origin
        let index = shifted >= 0 ? shifted / width : (shifted - width + 1) / width
        return index * width + origin
    }

    /// Times read from a file must lie in this range (about ±36 million years): arithmetic on
    /// them (flooring, bucket ends) then never overflows, whatever the file says.
    static let plausible: ClosedRange<Int64> = -(1 << 60)...(1 << 60)
}
