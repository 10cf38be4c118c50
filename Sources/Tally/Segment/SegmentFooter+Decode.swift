extension SegmentFooter {
    /// Decodes and checks a footer against the segment it ends (`segmentLength` bytes long,
    /// the footer block occupying the last `footerLength` of them): rules S1, S5 and S7's
    /// bounds. What only the rows can confirm (zones, totals) is checked by a full read.
    static func decode(
        _ bytes: [UInt8], segmentLength: UInt64, footerLength: UInt64, path: String, offset: UInt64
    ) throws -> SegmentFooter {
        func corrupt(_ what: String) -> TallyError {
            TallyError.corruption("segment footer: \(what)", path: path, offset: offset)
        }
        let blocksEnd = segmentLength - footerLength
        func ref(_ reader: inout ByteReader) throws -> BlockRef {
            guard let start = reader.readVarint(), let length = reader.readVarint() else { throw corrupt("truncated") }
            guard length == 0 || (length >= UInt64(Block.headerSize) && start <= blocksEnd && length <= blocksEnd - start)
            else { throw corrupt("block reference out of bounds") }
            return BlockRef(offset: start, length: length)
        }
        var reader = ByteReader(bytes)
        guard let version = reader.readUInt32() else { throw corrupt("truncated") }
        guard version == SegmentFooter.version else { throw corrupt("unknown version \(version)") }
        guard let partitionStart = reader.readInt64(), let bucket = reader.readInt64(),
              let rowCount = reader.readCount(max: Int(Int32.max)),
              let minTime = reader.readInt64(), let maxTime = reader.readInt64()
        else { throw corrupt("truncated") }
        let dictionary = try ref(&reader)
        guard let stringCount = reader.readCount(max: maxStrings) else { throw corrupt("counts out of range") }
        let sketchEntries = try ref(&reader)
        guard let metricCount = reader.readCount(max: min(maxMetrics, reader.remaining)) else {
            throw corrupt("counts out of range")
        }
        guard Granularity(milliseconds: bucket) != nil, minTime <= maxTime, dictionary.isPresent,
              TimeGrid.plausible.contains(partitionStart), TimeGrid.plausible.contains(minTime),
              TimeGrid.plausible.contains(maxTime)
        else {
            throw corrupt("header fields out of range")
        }
        var totalEvents: UInt64 = 0
        var rowsSeen = 0
        var metrics: [Metric] = []
        // Every group's zones go into one array, sliced per group once it is complete.
        var zones: [Zone] = []
        var zoneStarts: [Int] = []
        for _ in 0..<metricCount {
            guard let nameIndex = reader.readCount(max: max(stringCount - 1, 0)), nameIndex < stringCount else {
                throw corrupt("metric entry is malformed")
            }
            let totals = try ref(&reader)
            guard totals.isPresent, let groupCount = reader.readCount(max: min(rowCount, reader.remaining)), groupCount > 0
            else { throw corrupt("metric entry is malformed") }
            var groups: [RowGroup] = []
            groups.reserveCapacity(groupCount)
            for _ in 0..<groupCount {
                guard let rows = reader.readCount(max: rowCount - rowsSeen), let events = reader.readVarint(),
                      let seriesCount = reader.readCount(max: min(max(rows, 0), SegmentFooter.rowsPerGroup)),
                      let groupMin = reader.readInt64(), let groupMax = reader.readInt64()
                else { throw corrupt("row group entry is malformed") }
                var columns = ColumnRefs()
                for index in 0..<ColumnRefs.count { columns[index] = try ref(&reader) }
                zoneStarts.append(zones.count)
                try decodeZones(&reader, into: &zones, stringCount: stringCount, corrupt: corrupt)
                let group = RowGroup(
                    rowCount: rows, eventCount: events, seriesCount: seriesCount, minTime: groupMin, maxTime: groupMax,
                    columns: columns, zones: [])
                totalEvents += min(events, Catalog.maxEventsPerSegment + 1)
                guard rows > 0, seriesCount > 0, groupMin <= groupMax, totalEvents <= Catalog.maxEventsPerSegment,
                      TimeGrid.plausible.contains(groupMin), TimeGrid.plausible.contains(groupMax),
                      group.column(.series).isPresent, group.column(.seriesRuns).isPresent,
                      group.column(.buckets).isPresent, group.column(.counts).isPresent
                else { throw corrupt("row group entry is inconsistent") }
                rowsSeen += rows
                groups.append(group)
            }
            metrics.append(Metric(nameIndex: nameIndex, totals: totals, groups: groups))
        }
        guard reader.isAtEnd, rowsSeen == rowCount else { throw corrupt("row counts do not add up") }
        zoneStarts.append(zones.count)
        var group = 0
        for m in metrics.indices {
            for g in metrics[m].groups.indices {
                metrics[m].groups[g].zones = zones[zoneStarts[group]..<zoneStarts[group + 1]]
                group += 1
            }
        }
        let hasSketches = metrics.contains { $0.groups.contains { $0.column(.sketches).isPresent } }
        guard hasSketches || !sketchEntries.isPresent else { throw corrupt("a sketch entry table without sketch columns") }
        return SegmentFooter(
            partitionStart: partitionStart, bucketMilliseconds: bucket, rowCount: rowCount,
            minTime: minTime, maxTime: maxTime, dictionary: dictionary, stringCount: stringCount,
            sketchEntries: sketchEntries, metrics: metrics)
    }

    /// Appends a row group's zones to `zones`.
    private static func decodeZones(
        _ reader: inout ByteReader, into zones: inout [Zone], stringCount: Int, corrupt: (String) -> TallyError
    ) throws {
        guard let count = reader.readCount(max: min(stringCount, reader.remaining)) else { throw corrupt("zone count out of range") }
        var previousKey = -1
        for _ in 0..<count {
            guard let key = reader.readCount(max: stringCount - 1), let low = reader.readCount(max: stringCount - 1),
                  let high = reader.readCount(max: stringCount - 1)
            else { throw corrupt("zone refers outside the dictionary") }
            guard previousKey < key else { throw corrupt("zones are not sorted by key") }
            previousKey = key
            zones.append(Zone(key: key, minValue: low, maxValue: high))
        }
    }
}
