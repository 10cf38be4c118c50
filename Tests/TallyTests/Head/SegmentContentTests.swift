import Testing
@testable import Tally

/// The head's cells as segment contents (what a flush writes), against a brute-force grouping of
/// the same events.
@Suite struct SegmentContentTests {
    let hour: Int64 = 3_600_000
    let day: Int64 = 86_400_000

    /// Per partition, per metric in name order: series sorted (S3), rows by (series, bucket) (S4)
    /// with their event counts.
    func bruteForce(_ events: [Event]) -> [Int64: [(name: String, series: [[DimensionPair]], rows: [(Int, Int64, UInt64)])]] {
        var counts: [Int64: [String: [[DimensionPair]: [Int64: UInt64]]]] = [:]
        for event in events {
            let bucket = TimeGrid.floor(event.timestamp, width: hour)
            let series = event.dimensions.map { DimensionPair(key: $0.key, value: $0.value) }.sorted()
            counts[TimeGrid.floor(bucket, width: day), default: [:]][event.metric, default: [:]][series, default: [:]][bucket, default: 0] += 1
        }
        return counts.mapValues { metrics in
            metrics.keys.sorted().map { name in
                let bySeries = metrics[name]!
                let series = bySeries.keys.sorted { [DimensionPair].precedes($0, $1) }
                let rows = series.enumerated().flatMap { index, dimensions in
                    bySeries[dimensions]!.sorted { $0.key < $1.key }.map { (index, $0.key, $0.value) }
                }
                return (name, series, rows)
            }
        }
    }

    @Test(arguments: [1, 2, 3])
    func contentsGroupSortAndSplitTheCellsAsBruteForceDoes(seed: UInt64) {
        var random = RandomEvents(seed: seed)
        // Three partitions, events in random time order (cells are not created in row order).
        let events = random.events(count: 4_000, days: 3)
        var head = Head(bucketMilliseconds: hour)
        for batch in stride(from: 0, to: events.count, by: 500) {
            _ = head.apply(EventBatchBuilder.build(Array(events[batch..<min(batch + 500, events.count)])), horizon: .min)
        }
        let contents = head.segmentContents(partitionMilliseconds: day)
        let expected = bruteForce(events)
        #expect(contents.map(\.partitionStart) == expected.keys.sorted())
        for content in contents {
            let want = expected[content.partitionStart]!
            #expect(content.metrics.map(\.name) == want.map(\.name))
            for (metric, wanted) in zip(content.metrics, want) {
                #expect(Array(metric.series) == wanted.series, "\(metric.name)")
                #expect(metric.rows.map { "\($0.series) \($0.bucket) \($0.cell.count)" }
                    == wanted.rows.map { "\($0.0) \($0.1) \($0.2)" }, "\(metric.name)")
            }
        }
    }

    /// Thousands of series per metric (the series order's radix sort; the test above has few
    /// series per metric, which a comparison sort orders), keys and values of varied lengths so
    /// that prefixes and ranks differ from insertion order.
    @Test func manySeriesAreOrderedAsBruteForceOrdersThem() {
        var random = RandomEvents(seed: 21)
        let keys = ["a", "browser", "c", "zz", "device", "k"]
        let events = (0..<6_000).map { _ -> Event in
            var dimensions: [String: String] = [:]
            for key in keys where random.below(3) != 0 { dimensions[key] = "v\(random.below(12))" + String(repeating: "x", count: random.below(3)) }
            return Event(timestamp: 1_790_812_800_000 + Int64(random.below(2 * 86_400_000)), metric: ["m", "n"][random.below(2)],
                         dimensions: dimensions)
        }
        var head = Head(bucketMilliseconds: hour)
        _ = head.apply(EventBatchBuilder.build(events), horizon: .min)
        let contents = head.segmentContents(partitionMilliseconds: day)
        let expected = bruteForce(events)
        #expect(contents.map(\.partitionStart) == expected.keys.sorted())
        for content in contents {
            for (metric, wanted) in zip(content.metrics, expected[content.partitionStart]!) {
                #expect(metric.series.count > 500 && metric.series.count == wanted.series.count)
                // The first series out of place, if any (the lists are too long to print whole).
                let misplaced = zip(metric.series, wanted.series).enumerated().first { $0.element.0 != $0.element.1 }
                #expect(misplaced == nil, "\(metric.name): \(misplaced.map { "series \($0.offset): \($0.element)" } ?? "")")
                #expect(metric.rows.map { "\($0.series) \($0.bucket) \($0.cell.count)" }
                    == wanted.rows.map { "\($0.0) \($0.1) \($0.2)" }, "\(metric.name)")
            }
        }
    }

    @Test func rowOrderSortsBySeriesPositionThenBucketAndSplitsByPartition() {
        var rollup = MetricRollup()
        var random = RandomEvents(seed: 9)
        for _ in 0..<2_000 {
            let key = CellKey(series: UInt32(random.below(40)), bucket: Int64(random.below(72)) * hour)
            if rollup.cellIDs.find(key).1 == nil {
                rollup.cellIDs.insert(key, id: rollup.cellKeys.count, at: rollup.cellIDs.find(key).0)
                rollup.cellKeys.append(key)
                rollup.cells.append(RollupCell())
            }
        }
        let position = (0..<40).map { (17 * $0) % 40 }  // a permutation
        let groups = rollup.cellsInRowOrder(position: position, partitionMilliseconds: day)
        let expected = Dictionary(grouping: rollup.cellKeys.indices) { TimeGrid.floor(rollup.cellKeys[$0].bucket, width: day) }
            .mapValues { cells in
                cells.sorted {
                    let (a, b) = (rollup.cellKeys[$0], rollup.cellKeys[$1])
                    return (position[Int(a.series)], a.bucket) < (position[Int(b.series)], b.bucket)
                }
            }
        #expect(Set(groups.map(\.partition)) == Set(expected.keys) && groups.count == expected.count)
        for group in groups { #expect(group.cells.map(Int.init) == expected[group.partition]) }
    }

    @Test func seriesListKeepsEachStringOnceAndGivesThePairsBack() {
        let series: [[DimensionPair]] = [
            [], [DimensionPair(key: "country", value: "DE")],
            [DimensionPair(key: "country", value: "US"), DimensionPair(key: "device", value: "US")],
        ]
        let list = SeriesList(series)
        #expect(Array(list) == series)
        #expect(list.strings.count == Set(list.strings).count && Set(list.strings) == ["country", "DE", "US", "device"])
        #expect(list == [[], [DimensionPair(key: "country", value: "DE")], series[2]])
        #expect(list != [[], [DimensionPair(key: "country", value: "DE")]])
    }
}
