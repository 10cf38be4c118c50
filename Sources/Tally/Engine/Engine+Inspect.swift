/// Inspection: `info`, and the listings behind `tally dump`.
extension Engine {
    func info() throws -> DatabaseInfo {
        let (catalog, superblock, head, file, experimentAssignments, experimentStateBytes) = try stateLock.withLock {
            try checkOpen()
            return (
                self.catalog, self.superblock, self.head, self.file,
                experiments.exposed.joined().reduce(0, +),
                experiments.aggregatesOnly ? nil : experiments.approximateBytes)
        }
        var partitions: [Int64: PartitionInfo] = [:]
        for segment in catalog.segments {
            let start = segment.partitionStart
            var partition = partitions[start] ?? PartitionInfo(
                start: start, end: start + partitionMilliseconds, segments: 0, rows: 0, events: 0, bytes: 0, rawBytes: 0)
            partition.segments += 1
            partition.rows += segment.rowCount
            partition.events += segment.eventCount
            partition.bytes += segment.length
            partition.rawBytes += segment.rawBytes
            partitions[start] = partition
        }
        // Per metric: rows and events from the footers, distinct series from the series columns
        // alone (interned across segments, so a series counts once however many hold it).
        var metrics: [String: MetricTally] = [:]
        var strings = StringTable()
        for segment in catalog.segments {
            let reader = SegmentReader(file: file, info: segment, partitionMilliseconds: partitionMilliseconds)
            let footer = try reader.readFooter()
            let dictionary = try reader.readDictionary(footer)
            let ids = dictionary.map { strings.intern($0) }
            for metric in footer.metrics {
                let name = dictionary[metric.nameIndex]
                var tally = metrics.removeValue(forKey: name) ?? MetricTally()  // mutated unshared
                for group in metric.groups {
                    tally.rows += UInt64(group.rowCount)
                    tally.events += group.eventCount
                    let table = try reader.readColumns(group, footer: footer, columns: .series, sketchEntries: nil).series
                    for series in 0..<table.count {
                        tally.add(table.pairs(of: series).lazy.map {
                            SeriesKey.pack(key: ids[Int(table.keys[$0])], value: ids[Int(table.values[$0])])
                        })
                    }
                }
                metrics[name] = tally
            }
        }
        var headCells = 0
        let headIDs = head.strings.strings.map { strings.intern($0) }  // as a segment's dictionary
        for (metricID, rollup) in head.metrics {
            let name = head.strings[metricID]
            var tally = metrics.removeValue(forKey: name) ?? MetricTally()
            tally.rows += UInt64(rollup.cells.count)
            tally.events += rollup.cells.reduce(0) { $0 + $1.count }
            for series in rollup.series {
                tally.add(series.packedPairs.lazy.map { pair in
                    let (key, value) = SeriesKey.unpack(pair)
                    return SeriesKey.pack(key: headIDs[Int(key)], value: headIDs[Int(value)])
                })
            }
            headCells += rollup.cells.count
            metrics[name] = tally
        }
        var lower = catalog.segments.map(\.minTime).min()
        var upper = catalog.segments.map(\.timeRangeEnd).max()
        if !head.isEmpty {
            lower = min(lower ?? .max, head.oldestBucket)
            upper = max(upper ?? .min, TimeGrid.floor(head.newestTimestamp, width: bucketMilliseconds) + bucketMilliseconds)
        }
        let walBytes = Engine.fileSize(atPath: walPath, fileSystem: fileSystem)
        return DatabaseInfo(
            path: path, formatVersion: FileHeader.formatVersion, createdAt: header.createdAt,
            bucket: Granularity(milliseconds: bucketMilliseconds)!,
            partition: Granularity(milliseconds: partitionMilliseconds)!,
            retentionMilliseconds: header.retentionMilliseconds == 0 ? nil : header.retentionMilliseconds,
            dedupeWindowMilliseconds: header.dedupeWindowMilliseconds, exposureMetric: header.exposureMetric,
            experimentDimension: header.experimentDimension, variantDimension: header.variantDimension,
            fileBytes: try file.size(), walBytes: walBytes, generation: superblock.generation,
            eventsIngested: catalog.totalEventsIngested,
            timeRange: lower.flatMap { l in upper.map { l..<$0 } },
            retentionHorizon: catalog.retentionHorizon == .min ? nil : catalog.retentionHorizon,
            partitions: partitions.values.sorted { $0.start < $1.start },
            segments: catalog.segments.map(Engine.summary),
            metrics: metrics.keys.sorted().map { name in
                let entry = metrics[name]!
                return MetricInfo(name: name, series: entry.series.count, rows: entry.rows, events: entry.events)
            },
            headEvents: head.eventCount, headCells: headCells, headBytes: head.totalBytes,
            rememberedBatchIDs: catalog.batchIDs.count, experimentAssignments: experimentAssignments,
            experimentStateBytes: experimentStateBytes)
    }

    static func summary(_ segment: SegmentInfo) -> SegmentSummary {
        SegmentSummary(
            id: segment.id, offset: segment.offset, length: segment.length, partitionStart: segment.partitionStart,
            bucketMilliseconds: segment.bucketMilliseconds, minTime: segment.minTime, maxTime: segment.maxTime,
            rows: segment.rowCount, events: segment.eventCount, rawBytes: segment.rawBytes, metrics: segment.metrics)
    }

    /// The log's records as they are on disk now (not only those replayed at open).
    func walRecords() throws -> (records: [WALRecordSummary], ending: String) {
        let salt = stateLock.withLock { superblock.walSalt }
        return try Engine.walRecords(walPath: walPath, expectedSalt: salt, fileSystem: fileSystem)
    }

    /// The size of a file, 0 when it is missing or unreadable (the handle is closed again).
    static func fileSize(atPath path: String, fileSystem: any FileSystem) -> UInt64 {
        guard let file = try? fileSystem.openFile(atPath: path, mode: .readOnly) else { return 0 }
        defer { file.close() }
        return (try? file.size()) ?? 0
    }

    /// Scans a log file; `expectedSalt` (the superblock's) marks a stale log when known.
    static func walRecords(
        walPath: String, expectedSalt: UInt64?, fileSystem: any FileSystem
    ) throws -> (records: [WALRecordSummary], ending: String) {
        // Opened without asking first: a writer may delete its log at any checkpoint.
        let walFile: any FileHandle
        do {
            walFile = try fileSystem.openFile(atPath: walPath, mode: .readOnly)
        } catch let error as TallyError where error.code == .notFound {
            return ([], "no write-ahead log")
        }
        defer { walFile.close() }
        let scan = try WALReader.scan(walFile)
        let records = scan.records.map { record -> WALRecordSummary in
            let batch = BatchRecord.decode(record.payload)
            return WALRecordSummary(
                offset: record.offset, type: record.type == .batch ? "batch" : "unknown",
                hasBatchID: batch?.batchID != nil, ingestTime: batch?.ingestTime, events: batch?.events.count ?? 0,
                payloadBytes: record.payload.count)
        }
        let ending: String
        switch scan.ending {
        case .clean: ending = "clean"
        case .tornTail(let offset): ending = "torn or unsynced tail at offset \(offset)"
        case .corruptMiddle(let offset): ending = "CORRUPT at offset \(offset)"
        }
        let saltNote: String
        if scan.salt == nil {
            saltNote = " (no valid header)"
        } else if let expectedSalt, scan.salt != expectedSalt {
            saltNote = " (stale: already checkpointed)"
        } else {
            saltNote = ""
        }
        return (records, ending + saltNote)
    }

    /// Calls `body` for every stored row of `metric` (all when `nil`) in the partition starting
    /// at `partition` (all when `nil`): segments in catalog order, then the head.
    func forEachRow(metric: String?, partition: Int64?, _ body: (StoredRow) throws -> Void) throws {
        let (segments, head, file) = try stateLock.withLock {
            try checkOpen()
            return (catalog.segments, self.head, self.file)
        }
        func emit(_ content: SegmentContent, source: String) throws {
            for metricContent in content.metrics where metric == nil || metricContent.name == metric {
                for row in metricContent.rows {
                    let cell = row.cell
                    try body(StoredRow(
                        source: source, metric: metricContent.name, partitionStart: content.partitionStart,
                        bucket: row.bucket, bucketMilliseconds: content.bucketMilliseconds,
                        dimensions: metricContent.series[row.series].map { ($0.key, $0.value) }, count: cell.count,
                        valueCount: cell.valueCount, sum: cell.total, min: cell.valueCount > 0 ? cell.min : nil,
                        max: cell.valueCount > 0 ? cell.max : nil, units: cell.units?.estimate() ?? 0))
                }
            }
        }
        let wanted = partition.map { TimeGrid.floor($0, width: partitionMilliseconds) }
        for segment in segments where wanted == nil || segment.partitionStart == wanted {
            if let metric, !segment.metrics.contains(metric) { continue }
            let reader = SegmentReader(file: file, info: segment, partitionMilliseconds: partitionMilliseconds)
            try emit(try reader.readContent(), source: "segment \(segment.id)")
        }
        for content in head.segmentContents(partitionMilliseconds: partitionMilliseconds)
        where wanted == nil || content.partitionStart == wanted {
            try emit(content, source: "head")
        }
    }
}

/// One metric's figures for ``Engine/info()``: its distinct series (as pairs of ids of an
/// info-wide string table), rows and events.
private struct MetricTally {
    var series = SeriesIndex()
    var rows: UInt64 = 0
    var events: UInt64 = 0

    /// Counts the series with these packed pairs (in any order) once.
    mutating func add(_ pairs: some Sequence<UInt64>) {
        var packed = Array(pairs)
        packed.sort()
        _ = packed.withUnsafeBufferPointer { series.insert($0) }
    }
}
