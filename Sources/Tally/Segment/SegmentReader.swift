/// Reads segments: the footer, the dictionary, and only the column blocks a caller asks for.
/// Every count and index read from the file is checked before use (format-spec.md, rules S1–S6).
struct SegmentReader {
    let file: any FileHandle
    let info: SegmentInfo
    let partitionMilliseconds: Int64

    /// Which optional columns to decode.
    struct Columns: OptionSet {
        let rawValue: Int
        static let values = Columns(rawValue: 1)
        static let sketches = Columns(rawValue: 2)
        /// The series table and runs; without them rows cannot be told apart by dimensions.
        static let series = Columns(rawValue: 4)
        static let all: Columns = [.series, .values, .sketches]
    }

    /// One row group's decoded columns. Row `r` belongs to the series whose run covers it.
    struct MetricColumns {
        /// Dimension pairs of each series (empty unless `.series` was requested).
        var series: SeriesTable
        /// Per series: how many consecutive rows it has (empty unless `.series` was requested).
        var seriesRuns: [Int]
        /// Per row: bucket start (ms).
        var buckets: [Int64]
        var counts: [UInt64]
        /// Present when values were requested and the metric has values. `sums` holds two
        /// doubles per row (high and low part of a double-double).
        var valueCounts: [UInt64]?
        var sums: [Double]?
        var minimums: [Double]?
        var maximums: [Double]?
        /// Present when sketches were requested and the metric has units.
        var sketches: SketchColumn?

        /// Row `row` as a cell, with the columns that were decoded.
        func cell(at row: Int) -> RollupCell {
            var cell = RollupCell()
            cell.count = counts[row]
            if let valueCounts, valueCounts[row] > 0 {
                cell.valueCount = valueCounts[row]
                cell.sum = sums![2 * row]
                cell.sumLow = sums![2 * row + 1]
                cell.min = minimums![row]
                cell.max = maximums![row]
            }
            cell.units = sketches?.sketch(at: row)
            return cell
        }

        /// Adds row `row`'s count and values (those decoded) to `cell`, as merging
        /// `cell(at: row)` would but for the sketch: see ``SketchColumn/mergeSketch(at:into:)``.
        @inline(__always)
        func mergeRow(_ row: Int, into cell: inout RollupCell) {
            cell.count += counts[row]
            if let valueCounts, valueCounts[row] > 0 {
                cell.mergeValues(
                    count: valueCounts[row], sum: sums![2 * row], sumLow: sums![2 * row + 1], min: minimums![row],
                    max: maximums![row])
            }
        }
    }

    func corrupt(_ what: String, at offset: UInt64) -> TallyError {
        TallyError.corruption("segment \(info.id): \(what)", path: file.path, offset: offset)
    }

    func readBlock(_ ref: SegmentFooter.BlockRef, kind: BlockKind) throws -> [UInt8] {
        let offset = info.offset + ref.offset
        guard let framed = try file.readExactly(at: offset, count: Int(ref.length)) else {
            throw corrupt("block extends past the end of the file", at: offset)
        }
        return try Block.decode(framed, expectedKind: kind, path: file.path, offset: offset)
    }

    func readFooter() throws -> SegmentFooter {
        let footer = try SegmentFooter.decode(
            try readFooterBlock(), segmentLength: info.length, footerLength: info.footerLength, path: file.path,
            offset: info.footerOffset)
        try checkAgainstCatalog(footer.partitionStart, footer.rowCount, footer.bucketMilliseconds)
        return footer
    }

    /// The footer without its row groups (see ``SegmentFooter/Summary``).
    func readFooterSummary() throws -> SegmentFooter.Summary {
        let summary = try SegmentFooter.decodeSummary(
            try readFooterBlock(), segmentLength: info.length, footerLength: info.footerLength, path: file.path,
            offset: info.footerOffset)
        try checkAgainstCatalog(summary.partitionStart, summary.rowCount, summary.bucketMilliseconds)
        return summary
    }

    private func readFooterBlock() throws -> [UInt8] {
        try readBlock(SegmentFooter.BlockRef(offset: info.footerOffset - info.offset, length: info.footerLength), kind: .segmentFooter)
    }

    private func checkAgainstCatalog(_ partitionStart: Int64, _ rowCount: Int, _ bucketMilliseconds: Int64) throws {
        guard partitionStart == info.partitionStart, rowCount == Int(info.rowCount),
              bucketMilliseconds == info.bucketMilliseconds
        else { throw corrupt("footer disagrees with the catalog", at: info.footerOffset) }
    }

    func readDictionary(_ footer: SegmentFooter) throws -> [String] {
        let raw = try readBlock(footer.dictionary, kind: .dictionary)
        var reader = ByteReader(raw)
        let at = info.offset + footer.dictionary.offset
        guard let count = reader.readCount(max: min(footer.stringCount, reader.remaining)), count == footer.stringCount
        else { throw corrupt("dictionary count mismatch", at: at) }
        var strings: [String] = []
        strings.reserveCapacity(count)
        for _ in 0..<count {
            guard let string = reader.readString(maxLength: BatchRecord.maxStringBytes) else {
                throw corrupt("dictionary entry is malformed", at: at)
            }
            strings.append(string)
        }
        guard reader.isAtEnd else { throw corrupt("dictionary has trailing bytes", at: at) }
        return strings
    }

    /// The segment's sketch entry table; nil when it has none.
    func readSketchEntries(_ footer: SegmentFooter) throws -> SketchEntryTable? {
        guard footer.sketchEntries.isPresent else { return nil }
        guard let table = SketchEntryTable.decode(try readBlock(footer.sketchEntries, kind: .sketchEntries)) else {
            throw corrupt("sketch entry table is malformed", at: info.offset + footer.sketchEntries.offset)
        }
        return table
    }

    /// Decodes one row group's columns (those in `columns`; buckets and counts always).
    /// `sketchEntries` is the segment's table (``readSketchEntries(_:)``), needed for sketches.
    func readColumns(
        _ metric: SegmentFooter.RowGroup, footer: SegmentFooter, columns: Columns, sketchEntries: SketchEntryTable?
    ) throws -> MetricColumns {
        let rows = metric.rowCount
        func block(_ kind: BlockKind) throws -> (ByteReader, UInt64)? {
            let ref = metric.column(kind)
            guard ref.isPresent else { return nil }
            return (ByteReader(try readBlock(ref, kind: kind)), info.offset + ref.offset)
        }
        func finish(_ reader: ByteReader, _ at: UInt64) throws {
            guard reader.isAtEnd else { throw corrupt("column has trailing bytes", at: at) }
        }
        // Rule S5: a count from the footer is checked against the bytes of the column before
        // anything is reserved for it (every entry of these columns takes at least one byte).
        func fits(_ count: Int, _ reader: ByteReader, _ at: UInt64) throws {
            guard count <= reader.remaining else { throw corrupt("column is shorter than its entry count", at: at) }
        }
        var series = SeriesTable()
        var runs: [Int] = []
        var reader: ByteReader
        var at: UInt64
        if columns.contains(.series) {
            (reader, at) = try block(.series)!
            try fits(metric.seriesCount, reader, at)
            series = try readSeries(&reader, count: metric.seriesCount, stringCount: footer.stringCount, at: at)
            try finish(reader, at)
            (reader, at) = try block(.seriesRuns)!
            try fits(metric.seriesCount, reader, at)
            runs.reserveCapacity(metric.seriesCount)
            var covered = 0
            for _ in 0..<metric.seriesCount {
                guard let run = reader.readCount(max: rows - covered), run > 0 else {
                    throw corrupt("series runs do not add up to the row count", at: at)
                }
                runs.append(run)
                covered += run
            }
            guard covered == rows else { throw corrupt("series runs do not add up to the row count", at: at) }
            try finish(reader, at)
        }
        // Buckets and counts.
        (reader, at) = try block(.buckets)!
        let bucketsPerPartition = Int(partitionMilliseconds / footer.bucketMilliseconds)
        guard bucketsPerPartition >= 1 else { throw corrupt("bucket wider than the partition", at: at) }
        try fits(rows, reader, at)
        var buckets: [Int64] = []
        buckets.reserveCapacity(rows)
        for _ in 0..<rows {
            guard let index = reader.readCount(max: bucketsPerPartition - 1) else {
                throw corrupt("bucket outside the partition", at: at)
            }
            buckets.append(footer.partitionStart + Int64(index) * footer.bucketMilliseconds)
        }
        try finish(reader, at)
        (reader, at) = try block(.counts)!
        let counts = try readVarints(&reader, rows, at)
        guard !counts.contains(0) else { throw corrupt("row with zero events", at: at) }
        // The footer's event count (at most 2^48) bounds every sum of these counts.
        var total: UInt64 = 0
        for count in counts {
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard !overflow, sum <= metric.eventCount else { throw corrupt("row counts exceed the metric's event count", at: at) }
            total = sum
        }
        guard total == metric.eventCount else { throw corrupt("row counts do not add up to the metric's event count", at: at) }
        try finish(reader, at)
        var result = MetricColumns(series: series, seriesRuns: runs, buckets: buckets, counts: counts)
        if columns.contains(.values), let (valueReader, valueAt) = try block(.valueCounts) {
            reader = valueReader
            let valueCounts = try readVarints(&reader, rows, valueAt)
            guard !zip(valueCounts, counts).contains(where: { $0 > $1 }) else {
                throw corrupt("more values than events in a row", at: valueAt)
            }
            try finish(reader, valueAt)
            result.valueCounts = valueCounts
            result.sums = try readDoubles(block(.sums), 2 * rows)
            result.minimums = try readDoubles(block(.minimums), rows)
            result.maximums = try readDoubles(block(.maximums), rows)
        }
        if columns.contains(.sketches), let (sketchReader, sketchAt) = try block(.sketches) {
            guard let sketches = SketchColumn(sketchReader, counts: counts, table: sketchEntries) else {
                throw corrupt("sketch column is malformed", at: sketchAt)
            }
            result.sketches = sketches
        }
        return result
    }

    private func readSeries(_ reader: inout ByteReader, count: Int, stringCount: Int, at: UInt64) throws -> SeriesTable {
        var table = SeriesTable()
        table.start.reserveCapacity(count + 1)
        // A series has at most maxDimensionsPerEvent pairs and a group at most rowsPerGroup
        // series (checked by the footer): the pairs fit in this many slots, written in place
        // rather than appended (this loop runs once per series of every scanned segment).
        let pairCapacity = count * Limits.maxDimensionsPerEvent
        var pairs = 0
        table.keys = try Array(unsafeUninitializedCapacity: pairCapacity) { keys, keyCount in
            table.values = try Array(unsafeUninitializedCapacity: pairCapacity) { values, valueCount in
                var previousPairs = 0..<0
                for _ in 0..<count {
                    guard let shared = reader.readCount(max: previousPairs.count),
                          let more = reader.readCount(max: Limits.maxDimensionsPerEvent - shared)
                    else {
                        throw corrupt("series entry is malformed", at: at)
                    }
                    let first = pairs
                    for source in previousPairs.prefix(shared) {
                        keys[pairs] = keys[source]
                        values[pairs] = values[source]
                        pairs += 1
                    }
                    for _ in 0..<more {
                        guard let key = reader.readCount(max: stringCount - 1), let value = reader.readCount(max: stringCount - 1)
                        else { throw corrupt("series refers outside the dictionary", at: at) }
                        keys[pairs] = Int32(key)
                        values[pairs] = Int32(value)
                        pairs += 1
                    }
                    previousPairs = first..<pairs
                    table.start.append(pairs)
                }
                valueCount = pairs
            }
            keyCount = pairs
        }
        return table
    }

    private func readVarints(_ reader: inout ByteReader, _ rows: Int, _ at: UInt64) throws -> [UInt64] {
        guard rows <= reader.remaining else { throw corrupt("column is shorter than its entry count", at: at) }
        var values: [UInt64] = []
        values.reserveCapacity(rows)
        for _ in 0..<rows {
            guard let value = reader.readVarint() else { throw corrupt("column is truncated", at: at) }
            values.append(value)
        }
        return values
    }

    private func readDoubles(_ block: (ByteReader, UInt64)?, _ rows: Int) throws -> [Double] {
        guard let (blockReader, at) = block else { throw corrupt("value column missing", at: info.offset) }
        var reader = blockReader
        guard reader.remaining == rows * 8 else { throw corrupt("value column has the wrong length", at: at) }
        var values: [Double] = []
        values.reserveCapacity(rows)
        for _ in 0..<rows { values.append(reader.readDouble()!) }
        return values
    }
}

/// The series of one metric in a segment: dictionary indices of each series' dimension pairs,
/// stored flat. Series `s` has pairs `start[s]..<start[s + 1]`.
struct SeriesTable {
    var start: [Int] = [0]
    var keys: [Int32] = []
    var values: [Int32] = []

    var count: Int { start.count - 1 }

    func pairs(of series: Int) -> Range<Int> { start[series]..<start[series + 1] }
}
