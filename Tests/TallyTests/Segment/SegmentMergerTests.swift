import Testing
@testable import Tally

/// Rule K3 (merge) and K7 (re-bucketing) on segment contents.
@Suite struct SegmentMergerTests {
    let start: Int64 = 1_790_812_800_000
    let hour: Int64 = 3_600_000
    let us = [DimensionPair(key: "country", value: "US")]
    let de = [DimensionPair(key: "country", value: "DE")]

    func cell(_ values: [Double?], units: [String]) -> RollupCell {
        var cell = RollupCell()
        for value in values { cell.add(value: value) }
        for unit in units { _ = cell.add(unitHash: XXHash64.hash(unit)) }
        return cell
    }

    func content(bucket: Int64, _ metrics: [MetricContent]) -> SegmentContent {
        SegmentContent(partitionStart: start, bucketMilliseconds: bucket, metrics: metrics)
    }

    @Test func rowsWithTheSameMetricSeriesAndBucketBecomeOne() {
        var merger = SegmentMerger(partitionStart: start, bucketMilliseconds: hour)
        merger.add(content(bucket: hour, [
            MetricContent(name: "m", series: [us], rows: [
                SegmentRow(series: 0, bucket: start, cell: cell([1, 5], units: ["a", "b"])),
                SegmentRow(series: 0, bucket: start + hour, cell: cell([2], units: ["a"])),
            ]),
        ]))
        merger.add(content(bucket: hour, [
            MetricContent(name: "a", series: [[]], rows: [SegmentRow(series: 0, bucket: start, cell: cell([nil], units: []))]),
            MetricContent(name: "m", series: [de, us], rows: [
                SegmentRow(series: 0, bucket: start, cell: cell([7], units: ["c"])),
                SegmentRow(series: 1, bucket: start, cell: cell([-3], units: ["b", "c"])),
            ]),
        ]))
        #expect(merger.rowsAdded == 5)
        let merged = merger.content()
        #expect(merged.metrics.map(\.name) == ["a", "m"])
        let m = merged.metrics[1]
        #expect(m.series == [de, us], "series sorted (S3)")
        #expect(m.rows.map { [$0.series, Int(($0.bucket - start) / hour)] } == [[0, 0], [1, 0], [1, 1]], "rows sorted (S4)")
        let both = m.rows[1].cell
        #expect(both.count == 3 && both.valueCount == 3 && both.sum == 3 && both.min == -3 && both.max == 5)
        #expect(both.units?.estimate().rounded() == 3, "sketches merged, not summed")
        #expect(merged.metrics[0].rows[0].cell.units == nil)
        #expect(merged.eventCount == 6)
    }

    @Test func rowsAreRebucketedToACoarserWidth() {
        var merger = SegmentMerger(partitionStart: start, bucketMilliseconds: 24 * hour)
        merger.add(content(bucket: hour, [
            MetricContent(name: "m", series: [us], rows: (0..<24).map {
                SegmentRow(series: 0, bucket: start + Int64($0) * hour, cell: cell([Double($0)], units: ["u\($0 % 5)"]))
            }),
        ]))
        merger.add(content(bucket: 24 * hour, [
            MetricContent(name: "m", series: [us], rows: [SegmentRow(series: 0, bucket: start, cell: cell([100], units: ["z"]))]),
        ]))
        let rows = merger.content().metrics[0].rows
        #expect(rows.count == 1 && rows[0].bucket == start)
        #expect(rows[0].cell.count == 25 && rows[0].cell.max == 100 && rows[0].cell.min == 0 && rows[0].cell.sum == 376)
        #expect(rows[0].cell.units?.estimate().rounded() == 6)
        // The merged content encodes into a segment that reads back the same.
        let encoded = SegmentWriter.encode(merger.content())
        #expect(encoded.footer.bucketMilliseconds == 24 * hour && encoded.footer.rowCount == 1)
    }
}
