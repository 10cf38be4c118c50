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
    var series: SeriesList
    /// Sorted by series index, then bucket; one row per (series, bucket).
    var rows: [SegmentRow]
}

struct DimensionPair: Hashable, Comparable, Sendable {
    var key: String
    var value: String

    /// By key, then value, each by its UTF-8 bytes (rule S3), not by `String`'s `<`, which
    /// compares normalized Unicode and so differs for strings not in NFC.
    static func < (a: DimensionPair, b: DimensionPair) -> Bool {
        if !a.key.utf8.elementsEqual(b.key.utf8) { return a.key.utf8.lexicographicallyPrecedes(b.key.utf8) }
        return a.value.utf8.lexicographicallyPrecedes(b.value.utf8)
    }

    /// Whether both strings have the same bytes (`==` is `String` equality: canonical
    /// equivalence).
    func hasSameBytes(as other: DimensionPair) -> Bool {
        key.utf8.elementsEqual(other.key.utf8) && value.utf8.elementsEqual(other.value.utf8)
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
        for (x, y) in zip(a, b) where !x.hasSameBytes(as: y) { return x < y }
        return a.count < b.count
    }
}

extension Head {
    /// The head's cells grouped by partition, each as a segment's content, in partition order.
    ///
    /// Series are ordered by the ranks of their strings (each string's position in the sorted
    /// string table) rather than by the strings themselves.
    func segmentContents(partitionMilliseconds: Int64) -> [SegmentContent] {
        let rank = strings.ranks()
        var partitions: [Int64: [MetricContent]] = [:]
        var collector = SeriesCollector(headStringCount: strings.strings.count)
        for metricID in metrics.keys.sorted(by: { strings[$0] < strings[$1] }) {
            let rollup = metrics[metricID]!
            let ranked = RankedSeries(rollup.series, rank: rank)
            let order = ranked.order(rankCount: rank.count)
            var position = [Int](repeating: 0, count: order.count)
            for (index, series) in order.enumerated() { position[series] = index }
            for (partition, cells) in rollup.cellsInRowOrder(position: position, partitionMilliseconds: partitionMilliseconds) {
                var segmentRows: [SegmentRow] = []
                segmentRows.reserveCapacity(cells.count)
                var lastPosition = -1
                for cell in cells.lazy.map(Int.init) {
                    let key = rollup.cellKeys[cell]
                    let rowPosition = position[Int(key.series)]
                    if rowPosition != lastPosition {
                        // Pairs in key rank order are in key string order: sorted, as S3 wants.
                        collector.append(ranked.pairs(of: order[rowPosition]), names: strings)
                        lastPosition = rowPosition
                    }
                    segmentRows.append(SegmentRow(series: collector.seriesCount - 1, bucket: key.bucket, cell: rollup.cells[cell]))
                }
                partitions[partition, default: []].append(
                    MetricContent(name: strings[metricID], series: collector.take(), rows: segmentRows))
            }
        }
        return partitions.keys.sorted().map { start in
            SegmentContent(partitionStart: start, bucketMilliseconds: bucketMilliseconds, metrics: partitions[start]!)
        }
    }
}

extension MetricRollup {
    /// The rollup's cells grouped by partition (in order of first appearance), each group in row
    /// order: by `position` of the cell's series, then by bucket. A counting sort by position,
    /// then an insertion sort of each series' cells by bucket (they mostly arrive in time order).
    func cellsInRowOrder(position: [Int], partitionMilliseconds: Int64) -> [(partition: Int64, cells: [Int32])] {
        var firstOfPosition = [Int](repeating: 0, count: position.count + 1)
        for key in cellKeys { firstOfPosition[position[Int(key.series)] + 1] += 1 }
        for p in 0..<position.count { firstOfPosition[p + 1] += firstOfPosition[p] }
        var next = firstOfPosition
        var ordered = [Int32](repeating: 0, count: cellKeys.count)
        for (cell, key) in cellKeys.enumerated() {
            let p = position[Int(key.series)]
            ordered[next[p]] = Int32(cell)
            next[p] += 1
        }
        for p in 0..<position.count {
            for i in (firstOfPosition[p]..<firstOfPosition[p + 1]).dropFirst() {
                let cell = ordered[i]
                var j = i
                while j > firstOfPosition[p] && cellKeys[Int(ordered[j - 1])].bucket > cellKeys[Int(cell)].bucket {
                    ordered[j] = ordered[j - 1]
                    j -= 1
                }
                ordered[j] = cell
            }
        }
        // A head holds a few partitions: a list searched from the last one used beats hashing.
        var groups: [(partition: Int64, cells: [Int32])] = []
        var current = 0
        for cell in ordered {
            let partition = TimeGrid.floor(cellKeys[Int(cell)].bucket, width: partitionMilliseconds)
            if current >= groups.count || groups[current].partition != partition {
                if let found = groups.firstIndex(where: { $0.partition == partition }) {
                    current = found
                } else {
                    groups.append((partition, []))
                    current = groups.count - 1
                }
            }
            groups[current].cells.append(cell)
        }
        return groups
    }
}

/// A metric's series in a segment: each a list of dimension pairs sorted by key, stored flat as
/// indices into ``strings``. Building and encoding it allocates no array per series and hashes no
/// string per pair; reading an element builds the pairs (dump, verify, compaction).
struct SeriesList: RandomAccessCollection, ExpressibleByArrayLiteral, Equatable {
    /// The strings the pairs refer to, each once, in no particular order.
    private(set) var strings: [String]
    /// The pairs, as indices into ``strings``.
    private(set) var table: SeriesTable

    init(strings: [String], table: SeriesTable) {
        precondition(table.keys.allSatisfy { $0 >= 0 && Int($0) < strings.count }, "a pair refers to no string")
        precondition(table.values.allSatisfy { $0 >= 0 && Int($0) < strings.count }, "a pair refers to no string")
        self.strings = strings
        self.table = table
    }

    init(_ series: some Sequence<[DimensionPair]>) {
        var strings = DictionaryBuilder()
        var table = SeriesTable()
        for pairs in series {
            for pair in pairs {
                table.keys.append(Int32(strings.index(of: pair.key)))
                table.values.append(Int32(strings.index(of: pair.value)))
            }
            table.start.append(table.keys.count)
        }
        self.init(strings: strings.strings, table: table)
    }

    init(arrayLiteral elements: [DimensionPair]...) { self.init(elements) }

    var startIndex: Int { 0 }
    var endIndex: Int { table.count }

    subscript(position: Int) -> [DimensionPair] {
        table.pairs(of: position).map { DimensionPair(key: strings[Int(table.keys[$0])], value: strings[Int(table.values[$0])]) }
    }

    static func == (a: SeriesList, b: SeriesList) -> Bool { a.elementsEqual(b) }
}

/// Collects one segment metric's series, given as head string ids, into a ``SeriesList``: each
/// head string gets a local index the first time the list uses it.
private struct SeriesCollector {
    /// Per head string id: its local index plus one; 0 while the current list has not used it.
    private var local: [Int32]
    private var strings: [String] = []
    private var usedIDs: [UInt32] = []
    private var table = SeriesTable()

    init(headStringCount: Int) {
        local = [Int32](repeating: 0, count: headStringCount)
    }

    var seriesCount: Int { table.count }

    /// Adds a series given as packed pairs (``SeriesKey/pack(key:value:)``), in their order.
    mutating func append(_ pairs: ArraySlice<UInt64>, names: StringTable) {
        for packed in pairs {
            let (key, value) = SeriesKey.unpack(packed)
            table.keys.append(index(of: key, names))
            table.values.append(index(of: value, names))
        }
        table.start.append(table.keys.count)
    }

    private mutating func index(of id: UInt32, _ names: StringTable) -> Int32 {
        if local[Int(id)] == 0 {
            strings.append(names[id])
            usedIDs.append(id)
            local[Int(id)] = Int32(strings.count)
        }
        return local[Int(id)] - 1
    }

    /// The list collected since the last call; the collector starts an empty one.
    mutating func take() -> SeriesList {
        for id in usedIDs { local[Int(id)] = 0 }
        defer { (strings, usedIDs, table) = ([], [], SeriesTable()) }
        return SeriesList(strings: strings, table: table)
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

    /// The series in segment order (S3): their (key rank, value rank) lists compared
    /// lexicographically, a proper prefix first. Ranks are below `rankCount`.
    ///
    /// A least-significant-first radix sort: for each pair position from the last to the
    /// first, a stable counting sort by value rank, then one by key rank, where a series
    /// without a pair at that position sorts first. O((series + rankCount) × longest series),
    /// where comparing rank lists cost a few hundred instructions per comparison (series
    /// share long prefixes).
    ///
    /// With few series against many ranks (each pass clears `rankCount` counters), a comparison
    /// sort is cheaper and is used instead.
    func order(rankCount: Int) -> [Int] {
        guard count >= 64 && rankCount <= 8 * count else { return (0..<count).sorted(by: precedes) }
        var order = Array(0..<count)
        var sorted = [Int](repeating: 0, count: count)
        var first = [Int](repeating: 0, count: rankCount + 2)
        let longest = (0..<count).lazy.map { start[$0 + 1] - start[$0] }.max() ?? 0
        for position in (0..<longest).reversed() {
            for half in [1, 0] {  // value rank, then key rank
                // Digit of a series: 0 when it has no pair at `position`, else its rank + 1.
                func digit(_ series: Int) -> Int {
                    let pair = start[series] + position
                    return pair < start[series + 1] ? Int(ranks[2 * pair + half]) + 1 : 0
                }
                for i in first.indices { first[i] = 0 }
                for series in order { first[digit(series) + 1] += 1 }
                for d in 0...rankCount { first[d + 1] += first[d] }
                for series in order {
                    let d = digit(series)
                    sorted[first[d]] = series
                    first[d] += 1
                }
                swap(&order, &sorted)
            }
        }
        return order
    }

    /// Whether series `a` comes before series `b` in the order of ``order(rankCount:)``.
    private func precedes(_ a: Int, _ b: Int) -> Bool {
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
