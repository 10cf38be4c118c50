extension SegmentFooter {
    /// Decodes and checks a footer against the segment it ends (`segmentLength` bytes long,
    /// the footer block occupying the last `footerLength` of them): rules S1, S5 and S7's
    /// bounds. What only the rows can confirm (zones, totals) is checked by a full read.
    static func decode(
        _ bytes: [UInt8], segmentLength: UInt64, footerLength: UInt64, path: String, offset: UInt64
    ) throws -> SegmentFooter {
        var parser = try FooterParser(bytes, segmentLength: segmentLength, footerLength: footerLength, path: path, offset: offset)
        var metrics: [Metric] = []
        // Every group's zones go into one array, sliced per group once it is complete.
        var zones: [Zone] = []
        var zoneStarts: [Int] = []
        for _ in 0..<parser.header.metricCount {
            let (nameIndex, totals, groupCount) = try parser.metricEntry()
            var groups: [RowGroup] = []
            groups.reserveCapacity(groupCount)
            for _ in 0..<groupCount {
                var group = try parser.groupEntry()
                for index in 0..<ColumnRefs.count { group.columns[index] = try parser.ref() }
                zoneStarts.append(zones.count)
                try parser.zones(into: &zones)
                guard group.column(.series).isPresent, group.column(.seriesRuns).isPresent,
                      group.column(.buckets).isPresent, group.column(.counts).isPresent
                else { throw parser.corrupt("row group entry is inconsistent") }
                groups.append(group)
            }
            metrics.append(Metric(nameIndex: nameIndex, totals: totals, groups: groups))
        }
        try parser.finish()
        zoneStarts.append(zones.count)
        var group = 0
        for m in metrics.indices {
            for g in metrics[m].groups.indices {
                metrics[m].groups[g].zones = zones[zoneStarts[group]..<zoneStarts[group + 1]]
                group += 1
            }
        }
        let hasSketches = metrics.contains { $0.groups.contains { $0.column(.sketches).isPresent } }
        guard hasSketches || !parser.header.sketchEntries.isPresent else {
            throw parser.corrupt("a sketch entry table without sketch columns")
        }
        let header = parser.header
        return SegmentFooter(
            partitionStart: header.partitionStart, bucketMilliseconds: header.bucket, rowCount: header.rowCount,
            minTime: header.minTime, maxTime: header.maxTime, dictionary: header.dictionary,
            stringCount: header.stringCount, sketchEntries: header.sketchEntries, metrics: metrics)
    }

    /// Decodes only what ``Summary`` holds, stepping over each row group's column references
    /// and zones without checking or keeping them: the rest of the footer is checked as by
    /// ``decode(_:segmentLength:footerLength:path:offset:)``.
    static func decodeSummary(
        _ bytes: [UInt8], segmentLength: UInt64, footerLength: UInt64, path: String, offset: UInt64
    ) throws -> Summary {
        var parser = try FooterParser(bytes, segmentLength: segmentLength, footerLength: footerLength, path: path, offset: offset)
        var metrics: [MetricSummary] = []
        metrics.reserveCapacity(parser.header.metricCount)
        for _ in 0..<parser.header.metricCount {
            let (nameIndex, totals, groupCount) = try parser.metricEntry()
            var metric = MetricSummary(nameIndex: nameIndex, totals: totals, eventCount: 0, minTime: .max, maxTime: .min)
            for _ in 0..<groupCount {
                let group = try parser.groupEntry()
                metric.eventCount += group.eventCount
                metric.minTime = min(metric.minTime, group.minTime)
                metric.maxTime = max(metric.maxTime, group.maxTime)
                try parser.skipReferencesAndZones()
            }
            metrics.append(metric)
        }
        try parser.finish()
        let header = parser.header
        return Summary(
            partitionStart: header.partitionStart, bucketMilliseconds: header.bucket, rowCount: header.rowCount,
            metrics: metrics)
    }
}

/// Reads a footer's fields in order, checking each as it goes (rule S5); shared by the full
/// decode and the summary.
private struct FooterParser {
    struct Header {
        var partitionStart: Int64
        var bucket: Int64
        var rowCount: Int
        var minTime: Int64
        var maxTime: Int64
        var dictionary: SegmentFooter.BlockRef
        var stringCount: Int
        var sketchEntries: SegmentFooter.BlockRef
        var metricCount: Int
    }

    private var reader: ByteReader
    private let blocksEnd: UInt64
    private let path: String
    private let offset: UInt64
    private(set) var header: Header
    private var rowsSeen = 0
    private var totalEvents: UInt64 = 0

    init(_ bytes: [UInt8], segmentLength: UInt64, footerLength: UInt64, path: String, offset: UInt64) throws {
        (reader, blocksEnd, self.path, self.offset) = (ByteReader(bytes), segmentLength - footerLength, path, offset)
        header = Header(
            partitionStart: 0, bucket: 0, rowCount: 0, minTime: 0, maxTime: 0, dictionary: .init(offset: 0, length: 0),
            stringCount: 0, sketchEntries: .init(offset: 0, length: 0), metricCount: 0)
        guard let version = reader.readUInt32() else { throw corrupt("truncated") }
        guard version == SegmentFooter.version else { throw corrupt("unknown version \(version)") }
        guard let partitionStart = reader.readInt64(), let bucket = reader.readInt64(),
              let rowCount = reader.readCount(max: Int(Int32.max)),
              let minTime = reader.readInt64(), let maxTime = reader.readInt64()
        else { throw corrupt("truncated") }
        let dictionary = try ref()
        guard let stringCount = reader.readCount(max: SegmentFooter.maxStrings) else { throw corrupt("counts out of range") }
        let sketchEntries = try ref()
        guard let metricCount = reader.readCount(max: min(SegmentFooter.maxMetrics, reader.remaining)) else {
            throw corrupt("counts out of range")
        }
        guard Granularity(milliseconds: bucket) != nil, minTime <= maxTime, dictionary.isPresent,
              TimeGrid.plausible.contains(partitionStart), TimeGrid.plausible.contains(minTime),
              TimeGrid.plausible.contains(maxTime)
        else {
            throw corrupt("header fields out of range")
        }
        header = Header(
            partitionStart: partitionStart, bucket: bucket, rowCount: rowCount, minTime: minTime, maxTime: maxTime,
            dictionary: dictionary, stringCount: stringCount, sketchEntries: sketchEntries, metricCount: metricCount)
    }

    func corrupt(_ what: String) -> TallyError {
        TallyError.corruption("segment footer: \(what)", path: path, offset: offset)
    }

    mutating func ref() throws -> SegmentFooter.BlockRef {
        guard let start = reader.readVarint(), let length = reader.readVarint() else { throw corrupt("truncated") }
        guard length == 0 || (length >= UInt64(Block.headerSize) && start <= blocksEnd && length <= blocksEnd - start)
        else { throw corrupt("block reference out of bounds") }
        return SegmentFooter.BlockRef(offset: start, length: length)
    }

    /// A metric entry's name, totals and number of row groups.
    mutating func metricEntry() throws -> (nameIndex: Int, totals: SegmentFooter.BlockRef, groupCount: Int) {
        let stringCount = header.stringCount
        guard let nameIndex = reader.readCount(max: max(stringCount - 1, 0)), nameIndex < stringCount else {
            throw corrupt("metric entry is malformed")
        }
        let totals = try ref()
        guard totals.isPresent, let groupCount = reader.readCount(max: min(header.rowCount, reader.remaining)), groupCount > 0
        else { throw corrupt("metric entry is malformed") }
        return (nameIndex, totals, groupCount)
    }

    /// A row-group entry's counts and time range; its columns absent and zones empty until the
    /// caller reads them.
    mutating func groupEntry() throws -> SegmentFooter.RowGroup {
        guard let rows = reader.readCount(max: header.rowCount - rowsSeen), let events = reader.readVarint(),
              let seriesCount = reader.readCount(max: min(max(rows, 0), SegmentFooter.rowsPerGroup)),
              let groupMin = reader.readInt64(), let groupMax = reader.readInt64()
        else { throw corrupt("row group entry is malformed") }
        totalEvents += min(events, Catalog.maxEventsPerSegment + 1)
        guard rows > 0, seriesCount > 0, groupMin <= groupMax, totalEvents <= Catalog.maxEventsPerSegment,
              TimeGrid.plausible.contains(groupMin), TimeGrid.plausible.contains(groupMax)
        else { throw corrupt("row group entry is inconsistent") }
        rowsSeen += rows
        return SegmentFooter.RowGroup(
            rowCount: rows, eventCount: events, seriesCount: seriesCount, minTime: groupMin, maxTime: groupMax,
            columns: .init(), zones: [])
    }

    /// Appends a row group's zones to `zones`.
    mutating func zones(into zones: inout [SegmentFooter.Zone]) throws {
        let stringCount = header.stringCount
        guard let count = reader.readCount(max: min(stringCount, reader.remaining)) else { throw corrupt("zone count out of range") }
        var previousKey = -1
        for _ in 0..<count {
            guard let key = reader.readCount(max: stringCount - 1), let low = reader.readCount(max: stringCount - 1),
                  let high = reader.readCount(max: stringCount - 1)
            else { throw corrupt("zone refers outside the dictionary") }
            guard previousKey < key else { throw corrupt("zones are not sorted by key") }
            previousKey = key
            zones.append(SegmentFooter.Zone(key: key, minValue: low, maxValue: high))
        }
    }

    /// Steps over a row group's column references and zones, only finding where each varint ends.
    mutating func skipReferencesAndZones() throws {
        guard reader.skipVarints(2 * SegmentFooter.ColumnRefs.count) else { throw corrupt("truncated") }
        guard let count = reader.readCount(max: min(header.stringCount, reader.remaining)) else {
            throw corrupt("zone count out of range")
        }
        guard reader.skipVarints(3 * count) else { throw corrupt("zone is truncated") }
    }

    /// Checks that the entries end the footer and account for its rows.
    func finish() throws {
        guard reader.isAtEnd, rowsSeen == header.rowCount else { throw corrupt("row counts do not add up") }
    }
}
