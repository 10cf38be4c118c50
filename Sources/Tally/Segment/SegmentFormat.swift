/// A segment's footer: where its blocks are and what they hold (format-spec.md, "Segments").
///
/// A segment is a run of framed blocks (``Block``) appended to the database file: the string
/// dictionary, then for each metric its column blocks, then this footer as the last block.
struct SegmentFooter: Equatable {
    static let version: UInt32 = 1
    /// The column blocks of a metric, in the order the footer lists them.
    static let columnKinds: [BlockKind] = [
        .series, .seriesRuns, .buckets, .counts, .valueCounts, .sums, .minimums, .maximums, .sketches,
    ]
    static let maxMetrics = 1 << 16
    static let maxStrings = 1 << 24

    struct BlockRef: Equatable {
        /// Offset from the segment's first byte; length of the framed block. Length 0: absent.
        var offset: UInt64
        var length: UInt64
        var isPresent: Bool { length > 0 }
    }

    struct Metric: Equatable {
        var nameIndex: Int
        var rowCount: Int
        var eventCount: UInt64
        var seriesCount: Int
        var minTime: Int64
        var maxTime: Int64
        /// One per ``SegmentFooter/columnKinds``; value columns are absent when no row has a
        /// value, the sketch column when no row has a unit.
        var columns: [BlockRef]

        func column(_ kind: BlockKind) -> BlockRef {
            columns[SegmentFooter.columnKinds.firstIndex(of: kind)!]
        }
    }

    var partitionStart: Int64
    var bucketMilliseconds: Int64
    var rowCount: Int
    var minTime: Int64
    var maxTime: Int64
    var dictionary: BlockRef
    var stringCount: Int
    var metrics: [Metric]

    func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + metrics.count * 64)
        writer.writeUInt32(SegmentFooter.version)
        writer.writeInt64(partitionStart)
        writer.writeInt64(bucketMilliseconds)
        writer.writeVarint(UInt64(rowCount))
        writer.writeInt64(minTime)
        writer.writeInt64(maxTime)
        writer.writeVarint(dictionary.offset)
        writer.writeVarint(dictionary.length)
        writer.writeVarint(UInt64(stringCount))
        writer.writeVarint(UInt64(metrics.count))
        for metric in metrics {
            writer.writeVarint(UInt64(metric.nameIndex))
            writer.writeVarint(UInt64(metric.rowCount))
            writer.writeVarint(metric.eventCount)
            writer.writeVarint(UInt64(metric.seriesCount))
            writer.writeInt64(metric.minTime)
            writer.writeInt64(metric.maxTime)
            for column in metric.columns {
                writer.writeVarint(column.offset)
                writer.writeVarint(column.length)
            }
        }
        return writer.bytes
    }

    /// Decodes and checks a footer against the segment it ends (`segmentLength` bytes long,
    /// the footer block occupying the last `footerLength` of them).
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
        guard let stringCount = reader.readCount(max: maxStrings),
              let metricCount = reader.readCount(max: min(maxMetrics, reader.remaining))
        else { throw corrupt("counts out of range") }
        guard Granularity(milliseconds: bucket) != nil, minTime <= maxTime, dictionary.isPresent,
              TimeGrid.plausible.contains(partitionStart), TimeGrid.plausible.contains(minTime),
              TimeGrid.plausible.contains(maxTime)
        else {
            throw corrupt("header fields out of range")
        }
        var totalEvents: UInt64 = 0
        var metrics: [Metric] = []
        var rowsSeen = 0
        for _ in 0..<metricCount {
            guard let nameIndex = reader.readCount(max: max(stringCount - 1, 0)), nameIndex < stringCount,
                  let rows = reader.readCount(max: rowCount), let events = reader.readVarint(),
                  let seriesCount = reader.readCount(max: max(rows, 0)),
                  let metricMin = reader.readInt64(), let metricMax = reader.readInt64()
            else { throw corrupt("metric entry is malformed") }
            var columns: [BlockRef] = []
            for _ in columnKinds { columns.append(try ref(&reader)) }
            let metric = Metric(
                nameIndex: nameIndex, rowCount: rows, eventCount: events, seriesCount: seriesCount,
                minTime: metricMin, maxTime: metricMax, columns: columns)
            totalEvents += min(metric.eventCount, Catalog.maxEventsPerSegment + 1)
            guard rows > 0, seriesCount > 0, metricMin <= metricMax, totalEvents <= Catalog.maxEventsPerSegment,
                  TimeGrid.plausible.contains(metricMin), TimeGrid.plausible.contains(metricMax),
                  metric.column(.series).isPresent, metric.column(.seriesRuns).isPresent,
                  metric.column(.buckets).isPresent, metric.column(.counts).isPresent
            else { throw corrupt("metric entry is inconsistent") }
            rowsSeen += rows
            metrics.append(metric)
        }
        guard reader.isAtEnd, rowsSeen == rowCount else { throw corrupt("row counts do not add up") }
        return SegmentFooter(
            partitionStart: partitionStart, bucketMilliseconds: bucket, rowCount: rowCount,
            minTime: minTime, maxTime: maxTime, dictionary: dictionary, stringCount: stringCount,
            metrics: metrics)
    }
}
