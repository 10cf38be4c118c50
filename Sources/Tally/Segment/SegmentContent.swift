/// The logical content of one segment: the rows of one partition, by metric. What the segment
/// writer encodes and what a full read of a segment gives back (compaction, `dump`, verify).
struct SegmentContent {
    var partitionStart: Int64
    var bucketMilliseconds: Int64
    /// Sorted by name, each name once.
    var metrics: [MetricContent]

    var rowCount: Int { metrics.reduce(0) { $0 + $1.rows.count } }
    var eventCount: UInt64 { metrics.reduce(0) { $0 + $1.rows.reduce(0) { $0 + $1.cell.count } } }
}

/// One metric's rows in a segment.
struct MetricContent {
    var name: String
    /// Distinct dimension sets, each sorted by key, the list sorted lexicographically.
    var series: [[DimensionPair]]
    /// Sorted by series index, then bucket; one row per (series, bucket).
    var rows: [SegmentRow]
}

struct DimensionPair: Hashable, Comparable, Sendable {
    var key: String
    var value: String

    static func < (a: DimensionPair, b: DimensionPair) -> Bool {
        (a.key, a.value) < (b.key, b.value)
    }
}

struct SegmentRow {
    var series: Int
    /// Start of the row's bucket (ms).
    var bucket: Int64
    var cell: RollupCell
}

extension Array where Element == DimensionPair {
    /// Lexicographic order of sorted dimension sets: the order of series in a segment.
    static func precedes(_ a: [DimensionPair], _ b: [DimensionPair]) -> Bool {
        for (x, y) in zip(a, b) where x != y { return x < y }
        return a.count < b.count
    }
}

extension Head {
    /// The head's cells grouped by partition, each as a segment's content, in partition order.
    func segmentContents(partitionMilliseconds: Int64) -> [SegmentContent] {
        // partition start → metric name → (series key → rows)
        var partitions: [Int64: [String: [(SeriesKey, Int64, RollupCell)]]] = [:]
        for (metricID, rollup) in metrics {
            let name = strings[metricID]
            for (index, key) in rollup.cellKeys.enumerated() {
                let partition = TimeGrid.floor(key.bucket, width: partitionMilliseconds)
                partitions[partition, default: [:]][name, default: []]
                    .append((rollup.series[Int(key.series)], key.bucket, rollup.cells[index]))
            }
        }
        return partitions.keys.sorted().map { start in
            let byMetric = partitions[start]!
            let metrics = byMetric.keys.sorted().map { name in
                metricContent(name: name, cells: byMetric[name]!)
            }
            return SegmentContent(partitionStart: start, bucketMilliseconds: bucketMilliseconds, metrics: metrics)
        }
    }

    private func metricContent(name: String, cells: [(SeriesKey, Int64, RollupCell)]) -> MetricContent {
        var seriesOrder: [SeriesKey: [DimensionPair]] = [:]
        for (key, _, _) in cells where seriesOrder[key] == nil {
            seriesOrder[key] = (0..<key.pairCount).map {
                DimensionPair(key: strings[key.key(at: $0)], value: strings[key.value(at: $0)])
            }.sorted()
        }
        let sortedSeries = seriesOrder.sorted { [DimensionPair].precedes($0.value, $1.value) }
        var position: [SeriesKey: Int] = [:]
        for (index, entry) in sortedSeries.enumerated() { position[entry.key] = index }
        let rows = cells.map { SegmentRow(series: position[$0.0]!, bucket: $0.1, cell: $0.2) }
            .sorted { ($0.series, $0.bucket) < ($1.series, $1.bucket) }
        return MetricContent(name: name, series: sortedSeries.map(\.value), rows: rows)
    }
}
