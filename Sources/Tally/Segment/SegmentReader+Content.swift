/// Whole-segment reads: the logical content (compaction, dump, verify) and the totals.
extension SegmentReader {
    /// Decodes the whole segment back to its logical content (compaction, dump, verify), and
    /// checks what the footer summarises against the rows: each row group's zones (S7) and
    /// each metric's totals (S8).
    func readContent() throws -> SegmentContent {
        let footer = try readFooter()
        let dictionary = try readDictionary(footer)
        let sketchEntries = try readSketchEntries(footer)
        var metrics: [MetricContent] = []
        for metric in footer.metrics {
            var rows: [SegmentRow] = []
            let declaredRows = metric.groups.reduce(0) { $0 &+ $1.rowCount }  // a hint only: unchecked
            // The metric's series: its groups' tables one after another, over the whole dictionary.
            var series = SeriesTable()
            for group in metric.groups {
                let columns = try readColumns(group, footer: footer, columns: .all, sketchEntries: sketchEntries)  // checks counts before reserving
                // Grown geometrically up to the footer's total (reserving exactly one group more
                // each time copied every row read so far, per group: a sixth of a compaction's
                // time), and never past twice what the groups checked so far hold.
                if rows.capacity < rows.count + group.rowCount {
                    rows.reserveCapacity(max(rows.count + group.rowCount, min(2 * rows.capacity, declaredRows)))
                }
                let (firstSeries, firstPair) = (series.count, series.keys.count)
                series.keys += columns.series.keys
                series.values += columns.series.values
                series.start += columns.series.start.dropFirst().map { $0 + firstPair }
                let groupSeries = SeriesList(strings: dictionary, table: columns.series)
                let ranges = SegmentWriter.valueRanges(of: groupSeries)
                guard group.zones.count == ranges.count, group.zones.allSatisfy({ zone in
                    ranges[dictionary[zone.key]].map { $0 == (dictionary[zone.minValue], dictionary[zone.maxValue]) } ?? false
                }) else {
                    throw corrupt("a row group's zones disagree with its series", at: info.offset + group.column(.series).offset)
                }
                var row = 0
                for (seriesIndex, run) in columns.seriesRuns.enumerated() {
                    for _ in 0..<run {
                        rows.append(SegmentRow(
                            series: firstSeries + seriesIndex, bucket: columns.buckets[row], cell: columns.cell(at: row)))
                        row += 1
                    }
                }
            }
            let totals = try readTotals(metric, footer: footer)
            let name = dictionary[metric.nameIndex]
            guard totals.elementsEqual(SegmentWriter.totals(of: rows), by: { $0.bucket == $1.bucket && $0.cell == $1.cell }) else {
                throw corrupt("\(name): totals disagree with the rows", at: info.offset + metric.totals.offset)
            }
            metrics.append(MetricContent(name: name, series: SeriesList(strings: dictionary, table: series), rows: rows))
        }
        return SegmentContent(partitionStart: footer.partitionStart, bucketMilliseconds: footer.bucketMilliseconds, metrics: metrics)
    }

    /// Decodes a metric's per-bucket totals (no unit sketches), in bucket order. Checks bounds
    /// and that the counts add up to the metric's event count; a full read checks the rest.
    func readTotals(_ metric: SegmentFooter.Metric, footer: SegmentFooter) throws -> [(bucket: Int64, cell: RollupCell)] {
        try readTotals(metric.summary, partitionStart: footer.partitionStart, bucketMilliseconds: footer.bucketMilliseconds)
    }

    func readTotals(
        _ metric: SegmentFooter.MetricSummary, partitionStart: Int64, bucketMilliseconds: Int64
    ) throws -> [(bucket: Int64, cell: RollupCell)] {
        var reader = ByteReader(try readBlock(metric.totals, kind: .metricTotals))
        let at = info.offset + metric.totals.offset
        let bucketsPerPartition = Int(partitionMilliseconds / bucketMilliseconds)
        guard bucketsPerPartition >= 1, let count = reader.readCount(max: min(bucketsPerPartition, reader.remaining)) else {
            throw corrupt("totals count out of range", at: at)
        }
        var totals: [(bucket: Int64, cell: RollupCell)] = []
        totals.reserveCapacity(count)
        var previous = -1
        for _ in 0..<count {
            guard let index = reader.readCount(max: bucketsPerPartition - 1), index > previous,
                  let eventCount = reader.readCount(max: Int(Catalog.maxEventsPerSegment)), eventCount > 0,
                  let valueCount = reader.readCount(max: eventCount)
            else { throw corrupt("totals entry is malformed", at: at) }
            previous = index
            var cell = RollupCell()
            cell.count = UInt64(eventCount)
            if valueCount > 0 {
                guard let sum = reader.readDouble(), let sumLow = reader.readDouble(), let low = reader.readDouble(),
                      let high = reader.readDouble()
                else { throw corrupt("totals entry is truncated", at: at) }
                (cell.valueCount, cell.sum, cell.sumLow, cell.min, cell.max) = (UInt64(valueCount), sum, sumLow, low, high)
            }
            totals.append((partitionStart + Int64(index) * bucketMilliseconds, cell))
        }
        let events = totals.reduce(0) { $0 + $1.cell.count }
        guard reader.isAtEnd, events == metric.eventCount else { throw corrupt("totals do not add up to the metric's events", at: at) }
        return totals
    }
}
