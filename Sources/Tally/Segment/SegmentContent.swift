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
            let ranked = RankedSeries(rollup.series, rank: rank)
            let order = (0..<ranked.count).sorted { ranked.precedes($0, $1) }
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
                        // Pairs in key rank order are in key string order: sorted, as S3 wants.
                        series.append(ranked.pairs(of: order[row.position]).map { packed in
                            let (key, value) = SeriesKey.unpack(packed)
                            return DimensionPair(key: strings[key], value: strings[value])
                        })
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

/// A metric's series with each string replaced by its rank (its position in string order) and
/// each series' pairs sorted by key rank, stored flat: ordering series compares integers, and
/// no array is allocated per series.
private struct RankedSeries {
    /// Series `s` has pairs `start[s]..<start[s + 1]`.
    private var start: [Int] = [0]
    /// Per pair, key rank then value rank.
    private var ranks: [Int32] = []
    /// Per pair, its packed string ids (``SeriesKey/pack(key:value:)``).
    private var packed: [UInt64] = []

    init(_ series: SeriesIndex, rank: [Int32]) {
        start.reserveCapacity(series.count + 1)
        for key in series {
            let first = packed.count
            for i in 0..<key.pairCount {
                let pair = (rank[Int(key.key(at: i))], rank[Int(key.value(at: i))])
                var slot = packed.count - first  // insertion sort by key rank: a handful of pairs
                packed.append(0)
                ranks.append(0)
                ranks.append(0)
                while slot > 0 && ranks[2 * (first + slot - 1)] > pair.0 {
                    packed[first + slot] = packed[first + slot - 1]
                    ranks[2 * (first + slot)] = ranks[2 * (first + slot - 1)]
                    ranks[2 * (first + slot) + 1] = ranks[2 * (first + slot - 1) + 1]
                    slot -= 1
                }
                packed[first + slot] = SeriesKey.pack(key: key.key(at: i), value: key.value(at: i))
                (ranks[2 * (first + slot)], ranks[2 * (first + slot) + 1]) = pair
            }
            start.append(packed.count)
        }
    }

    var count: Int { start.count - 1 }

    /// Series `s`'s pairs as packed string ids, in key rank order.
    func pairs(of s: Int) -> ArraySlice<UInt64> { packed[start[s]..<start[s + 1]] }

    /// Whether series `a` comes before series `b`: their (key rank, value rank) lists compared
    /// lexicographically, a proper prefix first.
    /// Indexes the ranks directly: slicing them per comparison retained the array twice.
    func precedes(_ a: Int, _ b: Int) -> Bool {
        var i = 2 * start[a], j = 2 * start[b]
        let endA = 2 * start[a + 1], endB = 2 * start[b + 1]
        while i < endA && j < endB {
            if ranks[i] != ranks[j] { return ranks[i] < ranks[j] }
            i += 1
            j += 1
        }
        return i == endA && j < endB
    }
}
