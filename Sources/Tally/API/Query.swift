/// A group-by question over one metric.
///
/// Rows are cells (metric, series, bucket) merged from the head and every segment. A cell is in
/// the time range when its bucket *starts* in `[from, to)`; so a range that does not fall on
/// bucket boundaries behaves as if both ends were rounded up to the next boundary.
///
/// Downsampled partitions (``CompactOptions/downsample``) hold rows at a coarser bucket. Such a
/// row is in the range when its coarse bucket starts in it, and when `every` is finer than the
/// row's bucket the row is reported at its bucket's start, not spread over finer slots; the
/// result's ``QueryResult/coarsestBucketMilliseconds`` then exceeds `every`.
public struct Query: Sendable, Hashable {
    public var metric: String
    /// Dimension key → accepted values (`KEY=V` is one value, `KEY=V1,V2` an "in"). A cell
    /// without the key does not match.
    public var filters: [String: Set<String>]
    /// Dimension keys to group by, in output order. A cell without a key groups under `nil`.
    public var groupBy: [String]
    public var every: Every
    /// Inclusive start, ms; `nil` for no bound.
    public var from: Int64?
    /// Exclusive end, ms; `nil` for no bound.
    public var to: Int64?
    public var measures: Set<Measure>

    public init(
        metric: String, filters: [String: Set<String>] = [:], groupBy: [String] = [], every: Every = .total,
        from: Int64? = nil, to: Int64? = nil, measures: Set<Measure> = [.count]
    ) {
        self.metric = metric
        self.filters = filters
        self.groupBy = groupBy
        self.every = every
        self.from = from
        self.to = to
        self.measures = measures
    }
}

extension Query {
    /// The widest ``Every/milliseconds(_:)`` slot a query accepts: 2^48 ms, about 8 900 years,
    /// more than the whole range of valid timestamps.
    public static let maxSlotMilliseconds: Int64 = 1 << 48
}

/// The time resolution of a query's rows.
public enum Every: Sendable, Hashable {
    /// One row per group for the whole range.
    case total
    /// Rows per time slot of this width; a multiple of the database bucket.
    case milliseconds(Int64)

    public static let minute = Every.milliseconds(Granularity.minute.milliseconds)
    public static let hour = Every.milliseconds(Granularity.hour.milliseconds)
    public static let day = Every.milliseconds(Granularity.day.milliseconds)
}

public enum Measure: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Events.
    case count
    /// Sum of values.
    case sum
    case min
    case max
    /// Sum of values over events that carried a value.
    case mean
    /// Distinct units: a HyperLogLog estimate (relative error under 2%), never exact.
    case units

    public static func < (a: Measure, b: Measure) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The answer to a ``Query``.
public struct QueryResult: Sendable, Equatable {
    /// The query's `groupBy` keys; each row's ``QueryRow/dimensions`` follows this order.
    public var groupBy: [String]
    /// The requested measures, in canonical order.
    public var measures: [Measure]
    /// Sorted by time, then dimension values (`nil` first).
    public var rows: [QueryRow]
    /// Always true when ``Measure/units`` was requested: unit counts are estimates.
    public var unitsAreEstimates: Bool
    /// The coarsest bucket width (ms) among the data that answered; larger than the query's
    /// `every` when some partitions were downsampled.
    public var coarsestBucketMilliseconds: Int64
}

public struct QueryRow: Sendable, Equatable {
    /// Start of the row's time slot; `nil` for ``Every/total``.
    public var time: Int64?
    /// One entry per ``QueryResult/groupBy`` key.
    public var dimensions: [String?]
    public var count: UInt64
    /// Events that carried a value.
    public var valueCount: UInt64
    /// 0 when no event carried a value.
    public var sum: Double
    public var min: Double?
    public var max: Double?
    public var mean: Double? { valueCount > 0 ? sum / Double(valueCount) : nil }
    /// HyperLogLog estimate of distinct units, when requested.
    public var units: Double?
}
