/// Encodes a ``SegmentContent`` as blocks (format-spec.md, "Segments" and "Column encodings").
enum SegmentWriter {
    struct Encoded {
        var bytes: [UInt8]
        /// Offset of the footer block within `bytes`.
        var footerOffset: Int
        var footer: SegmentFooter
        /// Bytes of all blocks before compression.
        var rawBytes: Int
    }

    static func encode(_ content: SegmentContent) -> Encoded {
        var dictionary = DictionaryBuilder()
        var indexedSeries: [SeriesTable] = []
        for metric in content.metrics {
            _ = dictionary.index(of: metric.name)
            indexedSeries.append(dictionary.indices(of: metric.series))
        }
        let rank = dictionary.ranks()
        // Blocks are planned (raw), then compressed in parallel a window at a time; a block's
        // number in `blocks` stands for its reference until the footer is built.
        var blocks = PendingBlocks()
        let dictionaryBlock = blocks.add(dictionary.encode(), kind: .dictionary)
        let units = content.metrics.map(normalizedUnits(of:))
        let counts = content.metrics.map(eventCounts(of:))
        var allKeys: [UInt32] = []
        for case let sketch? in units.joined() { sketch.withSortedKeys { allKeys.append(contentsOf: $0) } }
        let table = SketchEntryTable(collecting: allKeys)
        allKeys = []
        let lookup = table.map(SketchKeyLookup.init)
        let sketchEntriesBlock = table.map { blocks.add($0.encode(), kind: .sketchEntries) }
        var plannedMetrics: [(nameIndex: Int, totals: Int, groups: [(group: SegmentFooter.RowGroup, columns: [Int?])])] = []
        for (index, (metric, series)) in zip(content.metrics, indexedSeries).enumerated() {
            let (units, counts) = (units[index], counts[index])
            let totals = blocks.add(encodeTotals(of: metric, content: content), kind: .metricTotals)
            let hasValues = metric.rows.contains { $0.cell.valueCount > 0 }
            let hasUnits = units.contains { $0 != nil }
            var groups: [(group: SegmentFooter.RowGroup, columns: [Int?])] = []
            for (seriesRange, rowRange) in rowGroups(of: metric, units: units) {
                let rows = metric.rows[rowRange]
                let columnBlocks = columns(
                    series: seriesRange, of: series, rows: rows, hasValues: hasValues, content: content
                ).map { kind, raw in raw.map { blocks.add($0, kind: kind) } }
                    + [hasUnits ? blocks.add(SketchColumn.encode(units[rowRange], counts: counts[rowRange], table: lookup), kind: .sketches) : nil]
                let group = SegmentFooter.RowGroup(
                    rowCount: rows.count, eventCount: rows.reduce(0) { $0 + $1.cell.count },
                    seriesCount: seriesRange.count, minTime: rows.lazy.map(\.bucket).min()!,
                    maxTime: rows.lazy.map(\.bucket).max()!, columns: .init(),
                    zones: zones(of: seriesRange, in: series, rank: rank)[...])
                groups.append((group, columnBlocks))
            }
            plannedMetrics.append((dictionary.index(of: metric.name), totals, groups))
        }
        var (output, refs, rawBytes) = blocks.finish()
        func ref(_ block: Int?) -> SegmentFooter.BlockRef { block.map { refs[$0] } ?? SegmentFooter.BlockRef(offset: 0, length: 0) }
        let footerMetrics = plannedMetrics.map { planned in
            SegmentFooter.Metric(nameIndex: planned.nameIndex, totals: ref(planned.totals), groups: planned.groups.map { planned in
                var group = planned.group
                group.columns = .init(planned.columns.map(ref))
                return group
            })
        }
        let footer = SegmentFooter(
            partitionStart: content.partitionStart, bucketMilliseconds: content.bucketMilliseconds,
            rowCount: content.rowCount, minTime: footerMetrics.map(\.minTime).min() ?? .max,
            maxTime: footerMetrics.map(\.maxTime).max() ?? .min, dictionary: ref(dictionaryBlock),
            stringCount: dictionary.strings.count, sketchEntries: ref(sketchEntriesBlock), metrics: footerMetrics)
        let footerOffset = output.count
        output.append(contentsOf: Block.encode(footer.encode(), kind: .segmentFooter))
        return Encoded(bytes: output, footerOffset: footerOffset, footer: footer, rawBytes: rawBytes)
    }

    /// Each row's unit sketch with its pending inserts merged, nil for a row without units
    /// (or with an empty sketch): what the sketch column and the entry table are built from.
    private static func normalizedUnits(of metric: MetricContent) -> [HyperLogLog?] {
        // Read through a pointer: reading a row copies it (see `columns`).
        metric.rows.withUnsafeBufferPointer { rows in
            rows.indices.map { row in
                guard let units = rows.baseAddress![row].cell.units?.normalized(), !units.isEmpty else { return nil }
                return units
            }
        }
    }

    /// Each row's event count.
    private static func eventCounts(of metric: MetricContent) -> [UInt64] {
        // Read through a pointer: reading a row copies it (see `columns`).
        metric.rows.withUnsafeBufferPointer { rows in rows.indices.map { rows.baseAddress![$0].cell.count } }
    }

    /// Splits a metric's rows into row groups of whole series: each closes at the first series
    /// boundary at or past ``SegmentFooter/rowsPerGroup`` rows or `keysPerGroup` sparse keys.
    /// Returns series and row ranges.
    static func rowGroups(
        of metric: MetricContent, units: [HyperLogLog?], keysPerGroup: Int = SegmentFooter.sketchKeysPerGroup
    ) -> [(series: Range<Int>, rows: Range<Int>)] {
        var groups: [(series: Range<Int>, rows: Range<Int>)] = []
        var firstSeries = 0, firstRow = 0, keys = 0
        for index in 1...metric.rows.count {
            keys += units[index - 1]?.sortedEntryCount ?? 0
            guard index == metric.rows.count
                || (metric.rows[index].series != metric.rows[index - 1].series
                    && (index - firstRow >= SegmentFooter.rowsPerGroup || keys >= keysPerGroup))
            else { continue }
            let lastSeries = metric.rows[index - 1].series
            groups.append((firstSeries..<lastSeries + 1, firstRow..<index))
            firstSeries = lastSeries + 1
            firstRow = index
            keys = 0
        }
        return groups
    }

    /// A row group's zones (rule S7), keys in dictionary order. Values are compared by their
    /// `rank` (position in UTF-8 byte order) rather than as strings.
    private static func zones(of seriesRange: Range<Int>, in table: SeriesTable, rank: [Int32]) -> [SegmentFooter.Zone] {
        // A group's series have a handful of distinct keys: a list searched in order beats hashing.
        var ranges: [(key: Int32, low: Int32, high: Int32)] = []
        for pair in table.start[seriesRange.lowerBound]..<table.start[seriesRange.upperBound] {
            let (key, value) = (table.keys[pair], table.values[pair])
            guard let z = ranges.firstIndex(where: { $0.key == key }) else {
                ranges.append((key, value, value))
                continue
            }
            if rank[Int(value)] < rank[Int(ranges[z].low)] {
                ranges[z].low = value
            } else if rank[Int(value)] > rank[Int(ranges[z].high)] {
                ranges[z].high = value
            }
        }
        return ranges.sorted { $0.key < $1.key }.map {
            SegmentFooter.Zone(key: Int($0.key), minValue: Int($0.low), maxValue: Int($0.high))
        }
    }

    /// Per dimension key of `series`, its smallest and largest value in UTF-8 byte order.
    static func valueRanges(of series: some Sequence<[DimensionPair]>) -> [String: (low: String, high: String)] {
        var ranges: [String: (low: String, high: String)] = [:]
        for pair in series.joined() {
            guard let range = ranges[pair.key] else {
                ranges[pair.key] = (pair.value, pair.value)
                continue
            }
            if pair.value.utf8.lexicographicallyPrecedes(range.low.utf8) { ranges[pair.key]!.low = pair.value }
            if range.high.utf8.lexicographicallyPrecedes(pair.value.utf8) { ranges[pair.key]!.high = pair.value }
        }
        return ranges
    }

    /// A metric's totals (rule S8): per bucket, in bucket order, the rows' cells merged in row
    /// order, without unit sketches.
    static func totals(of rows: [SegmentRow]) -> [(bucket: Int64, cell: RollupCell)] {
        var totals: [Int64: RollupCell] = [:]
        // Fields read through a pointer, as in `columns`: no row is copied (perf shows none).
        rows.withUnsafeBufferPointer { rows in
            guard let first = rows.baseAddress else { return }
            for row in (0..<rows.count).lazy.map({ first + $0 }) {
                let cell = row.pointee.cell
                totals[row.pointee.bucket, default: RollupCell()].mergeCountsAndValues(
                    count: cell.count, valueCount: cell.valueCount, sum: cell.sum, sumLow: cell.sumLow, min: cell.min,
                    max: cell.max)
            }
        }
        return totals.sorted { $0.key < $1.key }.map { (bucket: $0.key, cell: $0.value) }
    }

    /// The raw totals block (format-spec.md, "Column encodings").
    private static func encodeTotals(of metric: MetricContent, content: SegmentContent) -> [UInt8] {
        let totals = totals(of: metric.rows)
        var writer = ByteWriter()
        writer.writeVarint(UInt64(totals.count))
        for (bucket, cell) in totals {
            writer.writeVarint(UInt64((bucket - content.partitionStart) / content.bucketMilliseconds))
            writer.writeVarint(cell.count)
            writer.writeVarint(cell.valueCount)
            if cell.valueCount > 0 {
                writer.writeDouble(cell.sum)
                writer.writeDouble(cell.sumLow)
                writer.writeDouble(cell.min)
                writer.writeDouble(cell.max)
            }
        }
        return writer.bytes
    }

    /// The raw (uncompressed) bytes of each column of one row group but the sketches
    /// (``SketchColumn/encode(_:counts:table:)``), `nil` for an absent column. `rows` refer to series by
    /// their index in the metric.
    private static func columns(
        series seriesRange: Range<Int>, of table: SeriesTable, rows: ArraySlice<SegmentRow>, hasValues: Bool,
        content: SegmentContent
    ) -> [(BlockKind, [UInt8]?)] {
        // Each series after the first of the group shares a prefix with the one before it
        // (they are sorted): only the count of shared pairs and the rest are written.
        var series = ByteWriter()
        var previous = 0..<0
        for index in seriesRange {
            let pairs = table.pairs(of: index)
            // Counted in place: `prefix(while:)` on the zip built an array per series.
            var shared = 0
            for (before, pair) in zip(previous, pairs) {
                guard table.keys[before] == table.keys[pair] && table.values[before] == table.values[pair] else { break }
                shared += 1
            }
            series.writeVarint(UInt64(shared))
            series.writeVarint(UInt64(pairs.count - shared))
            for pair in pairs.dropFirst(shared) {
                series.writeVarint(UInt64(table.keys[pair]))
                series.writeVarint(UInt64(table.values[pair]))
            }
            previous = pairs
        }
        var runs = ByteWriter()
        var runStart = rows.startIndex
        for index in rows.startIndex + 1...rows.endIndex
        where index == rows.endIndex || rows[index].series != rows[runStart].series {
            runs.writeVarint(UInt64(index - runStart))
            runStart = index
        }
        var buckets = ByteWriter(), counts = ByteWriter(), valueCounts = ByteWriter()
        var sums = ByteWriter(), minimums = ByteWriter(), maximums = ByteWriter()
        // Rows are read field by field through a pointer: reading an element of the array (even
        // one field of it) copied the whole row, retaining its sketch's storage (perf).
        rows.withUnsafeBufferPointer { rows in
            guard let first = rows.baseAddress else { return }
            for row in (0..<rows.count).lazy.map({ first + $0 }) {
                buckets.writeVarint(UInt64((row.pointee.bucket - content.partitionStart) / content.bucketMilliseconds))
                counts.writeVarint(row.pointee.cell.count)
                if hasValues {
                    let valueCount = row.pointee.cell.valueCount
                    valueCounts.writeVarint(valueCount)
                    let empty = valueCount == 0
                    sums.writeDouble(empty ? 0 : row.pointee.cell.sum)
                    sums.writeDouble(empty ? 0 : row.pointee.cell.sumLow)
                    minimums.writeDouble(empty ? 0 : row.pointee.cell.min)
                    maximums.writeDouble(empty ? 0 : row.pointee.cell.max)
                }
            }
        }
        return [
            (.series, series.bytes), (.seriesRuns, runs.bytes), (.buckets, buckets.bytes),
            (.counts, counts.bytes), (.valueCounts, hasValues ? valueCounts.bytes : nil),
            (.sums, hasValues ? sums.bytes : nil), (.minimums, hasValues ? minimums.bytes : nil),
            (.maximums, hasValues ? maximums.bytes : nil),
        ]
    }
}

/// A segment's blocks in file order: planned as raw bytes, then framed (compressed) a window at
/// a time, in parallel (``Block/encodeAll(_:)``).
struct PendingBlocks {
    /// Planned blocks are framed once they hold this many raw bytes, so that few wait at once.
    static let window = 1 << 20

    /// Planned blocks not framed yet, and their raw bytes.
    private var planned: [(raw: [UInt8], kind: BlockKind)] = []
    private var plannedBytes = 0
    /// The framed blocks one after another, and each one's reference (offset from the first).
    private var bytes: [UInt8] = []
    private var refs: [SegmentFooter.BlockRef] = []
    /// The bytes of all blocks before compression.
    private var rawBytes = 0

    /// Plans a block after the others; returns its number.
    mutating func add(_ raw: [UInt8], kind: BlockKind) -> Int {
        let number = refs.count + planned.count
        planned.append((raw, kind))
        plannedBytes += raw.count
        rawBytes += raw.count
        if plannedBytes >= Self.window { frame() }
        return number
    }

    private mutating func frame() {
        for block in Block.encodeAll(planned) {
            refs.append(SegmentFooter.BlockRef(offset: UInt64(bytes.count), length: UInt64(block.count)))
            bytes.append(contentsOf: block)
        }
        (planned, plannedBytes) = ([], 0)
    }

    /// Every block framed: the bytes, each block's reference by number, and the raw size.
    consuming func finish() -> (bytes: [UInt8], refs: [SegmentFooter.BlockRef], rawBytes: Int) {
        frame()
        return (bytes, refs, rawBytes)
    }
}

/// The segment's string dictionary: every metric name, dimension key and value once, in first-use
/// order. Raw layout: varint count, then each string as varint length + UTF-8 bytes.
struct DictionaryBuilder {
    private(set) var strings: [String] = []
    private var indices: [String: Int] = [:]

    mutating func index(of string: String) -> Int {
        if let index = indices[string] { return index }
        indices[string] = strings.count
        strings.append(string)
        return strings.count - 1
    }

    /// A metric's series as dictionary indices, adding their strings: each of the list's
    /// strings is looked up once, then its pairs are renumbered.
    mutating func indices(of series: SeriesList) -> SeriesTable {
        let mapping = series.strings.map { Int32(index(of: $0)) }
        var table = series.table
        for i in table.keys.indices {
            table.keys[i] = mapping[Int(table.keys[i])]
            table.values[i] = mapping[Int(table.values[i])]
        }
        return table
    }

    /// Each string's position in UTF-8 byte order (the order of zones, rule S7).
    func ranks() -> [Int32] { ByteOrderRanks.ranks(of: strings) }

    func encode() -> [UInt8] {
        var writer = ByteWriter()
        writer.writeVarint(UInt64(strings.count))
        for string in strings { writer.writeString(string) }
        return writer.bytes
    }
}
