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
    ///
    /// Series are ordered by comparing string ranks (the position of each string in the sorted
    /// string table) rather than the strings themselves.
    func segmentContents(partitionMilliseconds: Int64) -> [SegmentContent] {
        let rank = strings.ranks()
        var partitions: [Int64: [MetricContent]] = [:]
        for metricID in metrics.keys.sorted(by: { strings[$0] < strings[$1] }) {
            let rollup = metrics[metricID]!
            // Each series as rank pairs sorted by key rank, then the series in that order.
            let rankedSeries: [[Int32]] = rollup.series.map { key in
                (0..<key.pairCount).map { (rank[Int(key.key(at: $0))], rank[Int(key.value(at: $0))]) }
                    .sorted { $0.0 < $1.0 }.flatMap { [$0.0, $0.1] }
            }
            let order = rankedSeries.indices.sorted { rankedSeries[$0].lexicographicallyPrecedes(rankedSeries[$1]) }
            var position = [Int](repeating: 0, count: order.count)
            for (index, series) in order.enumerated() { position[series] = index }
            var rowsByPartition: [Int64: [(position: Int, bucket: Int64, cell: Int)]] = [:]
            for (cell, key) in rollup.cellKeys.enumerated() {
                let partition = TimeGrid.floor(key.bucket, width: partitionMilliseconds)
                rowsByPartition[partition, default: []].append((position[Int(key.series)], key.bucket, cell))
            }
            for (partition, unsortedRows) in rowsByPartition {
                let rows = unsortedRows.sorted { ($0.position, $0.bucket) < ($1.position, $1.bucket) }
                var series: [[DimensionPair]] = []
                var segmentRows: [SegmentRow] = []
                segmentRows.reserveCapacity(rows.count)
                var lastPosition = -1
                for row in rows {
                    if row.position != lastPosition {
                        let key = rollup.series[order[row.position]]
                        series.append((0..<key.pairCount).map {
                            DimensionPair(key: strings[key.key(at: $0)], value: strings[key.value(at: $0)])
                        }.sorted())
                        lastPosition = row.position
                    }
                    segmentRows.append(SegmentRow(series: series.count - 1, bucket: row.bucket, cell: rollup.cells[row.cell]))
                }
                partitions[partition, default: []].append(
                    MetricContent(name: strings[metricID], series: series, rows: segmentRows))
            }
        }
        return partitions.keys.sorted().map { start in
            SegmentContent(partitionStart: start, bucketMilliseconds: bucketMilliseconds, metrics: partitions[start]!)
        }
    }
}
