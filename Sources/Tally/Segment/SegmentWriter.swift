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
        for metric in content.metrics {
            _ = dictionary.index(of: metric.name)
            for series in metric.series {
                for pair in series {
                    _ = dictionary.index(of: pair.key)
                    _ = dictionary.index(of: pair.value)
                }
            }
        }
        let dictionaryRaw = dictionary.encode()
        var rawBytes = dictionaryRaw.count
        var output = Block.encode(dictionaryRaw, kind: .dictionary)
        let dictionaryRef = SegmentFooter.BlockRef(offset: 0, length: UInt64(output.count))
        var footerMetrics: [SegmentFooter.Metric] = []
        var minTime = Int64.max
        var maxTime = Int64.min
        for metric in content.metrics {
            var refs: [SegmentFooter.BlockRef] = []
            for (kind, raw) in columns(of: metric, dictionary: dictionary, content: content) {
                guard let raw else {
                    refs.append(SegmentFooter.BlockRef(offset: 0, length: 0))
                    continue
                }
                let block = Block.encode(raw, kind: kind)
                rawBytes += raw.count
                refs.append(SegmentFooter.BlockRef(offset: UInt64(output.count), length: UInt64(block.count)))
                output.append(contentsOf: block)
            }
            let buckets = metric.rows.map(\.bucket)
            let metricMin = buckets.min()!, metricMax = buckets.max()!
            minTime = min(minTime, metricMin)
            maxTime = max(maxTime, metricMax)
            footerMetrics.append(SegmentFooter.Metric(
                nameIndex: dictionary.index(of: metric.name), rowCount: metric.rows.count,
                eventCount: metric.rows.reduce(0) { $0 + $1.cell.count }, seriesCount: metric.series.count,
                minTime: metricMin, maxTime: metricMax, columns: refs))
        }
        let footer = SegmentFooter(
            partitionStart: content.partitionStart, bucketMilliseconds: content.bucketMilliseconds,
            rowCount: content.rowCount, minTime: minTime, maxTime: maxTime, dictionary: dictionaryRef,
            stringCount: dictionary.strings.count, metrics: footerMetrics)
        let footerOffset = output.count
        output.append(contentsOf: Block.encode(footer.encode(), kind: .segmentFooter))
        return Encoded(bytes: output, footerOffset: footerOffset, footer: footer, rawBytes: rawBytes)
    }

    /// The raw (uncompressed) bytes of each column of `metric`, `nil` for an absent column.
    private static func columns(
        of metric: MetricContent, dictionary: DictionaryBuilder, content: SegmentContent
    ) -> [(BlockKind, [UInt8]?)] {
        let rows = metric.rows
        var series = ByteWriter()
        for dimensions in metric.series {
            series.writeVarint(UInt64(dimensions.count))
            for pair in dimensions {
                series.writeVarint(UInt64(dictionary.existingIndex(of: pair.key)))
                series.writeVarint(UInt64(dictionary.existingIndex(of: pair.value)))
            }
        }
        var runs = ByteWriter()
        var runStart = 0
        for index in 1...rows.count where index == rows.count || rows[index].series != rows[runStart].series {
            runs.writeVarint(UInt64(index - runStart))
            runStart = index
        }
        var buckets = ByteWriter(), counts = ByteWriter(), valueCounts = ByteWriter()
        var sums = ByteWriter(), minimums = ByteWriter(), maximums = ByteWriter(), sketches = ByteWriter()
        let hasValues = rows.contains { $0.cell.valueCount > 0 }
        let hasUnits = rows.contains { $0.cell.units != nil }
        for row in rows {
            buckets.writeVarint(UInt64((row.bucket - content.partitionStart) / content.bucketMilliseconds))
            counts.writeVarint(row.cell.count)
            if hasValues {
                valueCounts.writeVarint(row.cell.valueCount)
                let empty = row.cell.valueCount == 0
                sums.writeDouble(empty ? 0 : row.cell.sum)
                sums.writeDouble(empty ? 0 : row.cell.sumLow)
                minimums.writeDouble(empty ? 0 : row.cell.min)
                maximums.writeDouble(empty ? 0 : row.cell.max)
            }
            if hasUnits {
                if let sketch = row.cell.units {
                    var encoded: [UInt8] = []
                    sketch.serialize(into: &encoded)
                    sketches.writeVarint(UInt64(encoded.count))
                    sketches.writeBytes(encoded)
                } else {
                    sketches.writeVarint(0)
                }
            }
        }
        return [
            (.series, series.bytes), (.seriesRuns, runs.bytes), (.buckets, buckets.bytes),
            (.counts, counts.bytes), (.valueCounts, hasValues ? valueCounts.bytes : nil),
            (.sums, hasValues ? sums.bytes : nil), (.minimums, hasValues ? minimums.bytes : nil),
            (.maximums, hasValues ? maximums.bytes : nil), (.sketches, hasUnits ? sketches.bytes : nil),
        ]
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

    func existingIndex(of string: String) -> Int { indices[string]! }

    func encode() -> [UInt8] {
        var writer = ByteWriter()
        writer.writeVarint(UInt64(strings.count))
        for string in strings { writer.writeString(string) }
        return writer.bytes
    }
}
