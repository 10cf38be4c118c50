/// Merges the rows of several segments of one partition into the content of one segment
/// (compaction, format-spec.md rule K3).
///
/// Rows with the same (metric, series, bucket) become one: counts and sums add, extremes take the
/// extreme, sketches merge (HyperLogLog union, so distinct counts are not summed). Rows are
/// re-bucketed to `bucketMilliseconds`, which must be a multiple of every source's bucket
/// (downsampling, rule K7); with the sources' own bucket it is a pure merge.
///
/// Memory: the merged rows of the partition, plus the one source the caller decoded.
struct SegmentMerger {
    let partitionStart: Int64
    let bucketMilliseconds: Int64
    private var metrics: [String: Accumulator] = [:]
    /// Rows added, before merging.
    private(set) var rowsAdded = 0

    init(partitionStart: Int64, bucketMilliseconds: Int64) {
        self.partitionStart = partitionStart
        self.bucketMilliseconds = bucketMilliseconds
    }

    /// Folds in one segment's content, which must belong to the same partition and have a bucket
    /// dividing ``bucketMilliseconds``.
    mutating func add(_ content: SegmentContent) {
        precondition(content.partitionStart == partitionStart, "merging segments of different partitions")
        precondition(bucketMilliseconds % content.bucketMilliseconds == 0, "merging into a finer bucket")
        for metric in content.metrics {
            metrics[metric.name, default: Accumulator()].add(metric, bucketMilliseconds: bucketMilliseconds)
            rowsAdded += metric.rows.count
        }
    }

    /// The merged content: metrics by name, series sorted (S3), rows by (series, bucket) (S4).
    func content() -> SegmentContent {
        let merged = metrics.keys.sorted().map { name in metrics[name]!.content(name: name) }
        return SegmentContent(partitionStart: partitionStart, bucketMilliseconds: bucketMilliseconds, metrics: merged)
    }

    private struct Accumulator {
        var seriesIndex: [[DimensionPair]: Int] = [:]
        var series: [[DimensionPair]] = []
        var cells: [RowKey: RollupCell] = [:]

        struct RowKey: Hashable {
            var series: Int
            var bucket: Int64
        }

        mutating func add(_ metric: MetricContent, bucketMilliseconds: Int64) {
            let mapping = metric.series.map { dimensions -> Int in
                if let existing = seriesIndex[dimensions] { return existing }
                seriesIndex[dimensions] = series.count
                series.append(dimensions)
                return series.count - 1
            }
            for row in metric.rows {
                let key = RowKey(series: mapping[row.series], bucket: TimeGrid.floor(row.bucket, width: bucketMilliseconds))
                cells[key, default: RollupCell()].merge(row.cell)
            }
        }

        func content(name: String) -> MetricContent {
            let order = series.indices.sorted { [DimensionPair].precedes(series[$0], series[$1]) }
            var position = [Int](repeating: 0, count: order.count)
            for (newIndex, oldIndex) in order.enumerated() { position[oldIndex] = newIndex }
            let rows = cells.map { SegmentRow(series: position[$0.key.series], bucket: $0.key.bucket, cell: $0.value) }
                .sorted { ($0.series, $0.bucket) < ($1.series, $1.bucket) }
            return MetricContent(name: name, series: SeriesList(order.lazy.map { series[$0] }), rows: rows)
        }
    }
}

extension SegmentInfo {
    /// The catalog entry of `encoded` (the encoding of `content`) written at `offset`.
    init(id: UInt64, offset: UInt64, encoded: SegmentWriter.Encoded, content: SegmentContent) {
        self.init(
            id: id, offset: offset, length: UInt64(encoded.bytes.count),
            footerOffset: offset + UInt64(encoded.footerOffset),
            footerLength: UInt64(encoded.bytes.count - encoded.footerOffset),
            partitionStart: content.partitionStart, bucketMilliseconds: content.bucketMilliseconds,
            minTime: encoded.footer.minTime, maxTime: encoded.footer.maxTime,
            rowCount: UInt64(content.rowCount), eventCount: content.eventCount, rawBytes: UInt64(encoded.rawBytes),
            metrics: content.metrics.map(\.name))
    }
}
