/// `verify`: every checksum and structural invariant of the file and the log (format-spec.md,
/// rules V1–V7). Problems are collected, not thrown: one damaged segment does not hide another.
///
/// - V1. Every block's CRC matches and it inflates to its stated length.
/// - V2. Segments lie in [8192, committedEnd) and do not overlap each other or the catalog.
/// - V3. Within a metric, series are sorted and unique, pairs within a series sorted by key with
///   unique keys, and (series, bucket) strictly increases row by row.
/// - V4. A segment's footer agrees with its catalog entry (partition, bucket width, rows,
///   events, time range, metrics).
/// - V5. Every row has count ≥ 1 and valueCount ≤ count; min ≤ max where there are values.
/// - V6. The log's frames are valid up to a clean end or a torn tail; every record decodes.
/// - V7. The experiment state blocks lie in the committed file and apply in order (X1, X2).
extension Engine {
    func verify() throws -> VerifyReport {
        let (catalog, superblock, file) = try stateLock.withLock {
            try checkOpen()
            return (self.catalog, self.superblock, self.file)
        }
        var report = VerifyReport()
        func problem(_ message: String, at offset: UInt64?, in path: String? = nil) {
            report.problems.append(.init(path: path ?? self.path, offset: offset, message: message))
        }
        // V2: extents.
        var extents = catalog.segments.map { ($0.offset, $0.offset + $0.length, "segment \($0.id)") }
        extents.append((superblock.catalogOffset, superblock.catalogOffset + superblock.catalogLength, "catalog"))
        extents.sort { $0.0 < $1.0 }
        for (a, b) in zip(extents, extents.dropFirst()) where a.1 > b.0 {
            problem("\(a.2) overlaps \(b.2)", at: b.0)
        }
        for segment in catalog.segments {
            report.segmentsChecked += 1
            do {
                let reader = SegmentReader(file: file, info: segment, partitionMilliseconds: partitionMilliseconds)
                let footer = try reader.readFooter()
                report.blocksChecked += 2 + footer.metrics.reduce(0) { total, metric in
                    total + 1 + metric.groups.reduce(0) { $0 + $1.columns.presentCount }
                }
                let content = try reader.readContent()
                report.rowsChecked += content.rowCount
                for message in Engine.invariantViolations(content, segment: segment, footer: footer) {
                    problem("segment \(segment.id): \(message)", at: segment.offset)
                }
            } catch let error as TallyError {
                problem(error.message, at: error.offset)
            }
        }
        verifyExperimentBlocks(catalog: catalog, superblock: superblock, file: file, into: &report)
        verifyWAL(superblock: superblock, into: &report)
        return report
    }

    /// V3–V5 for one decoded segment.
    static func invariantViolations(_ content: SegmentContent, segment: SegmentInfo, footer: SegmentFooter) -> [String] {
        var violations: [String] = []
        if content.metrics.map(\.name) != segment.metrics { violations.append("metrics differ from the catalog") }
        if content.eventCount != segment.eventCount { violations.append("event count differs from the catalog") }
        if footer.minTime != segment.minTime || footer.maxTime != segment.maxTime {
            violations.append("time range differs from the catalog")
        }
        for metric in content.metrics {
            // Each series' pairs are built once (a `SeriesList` element is built when read).
            var previous: [DimensionPair]?
            var (seriesOrdered, keysOrdered) = (true, true)
            for series in metric.series {
                if let previous, ![DimensionPair].precedes(previous, series) { seriesOrdered = false }
                // Keys strictly increasing in byte order (S3), as `DimensionPair`'s order compares them.
                if zip(series, series.dropFirst()).contains(where: { !$0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                    keysOrdered = false
                }
                previous = series
            }
            if !seriesOrdered { violations.append("\(metric.name): series are not sorted and unique") }
            if !keysOrdered { violations.append("\(metric.name): a series has unsorted or repeated keys") }
            for (a, b) in zip(metric.rows, metric.rows.dropFirst()) where (a.series, a.bucket) >= (b.series, b.bucket) {
                violations.append("\(metric.name): rows are not in (series, bucket) order")
                break
            }
            for row in metric.rows where row.cell.count == 0 || row.cell.valueCount > row.cell.count
                || (row.cell.valueCount > 0 && !(row.cell.min <= row.cell.max)) {
                violations.append("\(metric.name): a row has inconsistent counts or extremes")
                break
            }
        }
        return violations
    }

    /// V7: decodes every experiment block into a scratch state, as open does.
    private func verifyExperimentBlocks(
        catalog: Catalog, superblock: Superblock, file: any FileHandle, into report: inout VerifyReport
    ) {
        var state = ExperimentState(
            exposureMetric: header.exposureMetric, experimentDimension: header.experimentDimension,
            variantDimension: header.variantDimension)
        for location in catalog.experimentBlocks {
            report.blocksChecked += 1
            do {
                guard location.offset >= Superblock.dataStart, location.length <= superblock.committedEnd,
                      location.offset <= superblock.committedEnd - location.length,
                      let framed = try file.readExactly(at: location.offset, count: Int(location.length))
                else {
                    report.problems.append(.init(path: path, offset: location.offset, message: "experiment block lies outside the committed file"))
                    return
                }
                let raw = try Block.decode(framed, expectedKind: .experimentState, path: path, offset: location.offset)
                guard state.load(raw) else {
                    report.problems.append(.init(path: path, offset: location.offset, message: "experiment block does not decode"))
                    return
                }
            } catch let error as TallyError {
                report.problems.append(.init(path: path, offset: error.offset, message: error.message))
                return
            } catch {
                report.problems.append(.init(path: path, offset: location.offset, message: "\(error)"))
                return
            }
        }
    }

    /// No log is not a problem: a writer beside a read-only handle deletes its log at every
    /// checkpoint, so the log is opened once and its absence then is taken as final (asking
    /// first whether it exists would race with that deletion).
    private func verifyWAL(superblock: Superblock, into report: inout VerifyReport) {
        do {
            let walFile: any FileHandle
            do {
                walFile = try fileSystem.openFile(atPath: walPath, mode: .readOnly)
            } catch let error as TallyError where error.code == .notFound {
                return
            }
            defer { walFile.close() }
            let scan = try WALReader.scan(walFile, expectedSalt: superblock.walSalt)
            guard scan.salt == superblock.walSalt else {
                report.notes.append("the write-ahead log is stale (already checkpointed); the next writer deletes it")
                return
            }
            if scan.headerDamaged {
                report.problems.append(.init(path: walPath, offset: 0, message: "log header is damaged; records of this database follow it"))
            }
            for record in scan.records {
                report.walRecordsChecked += 1
                if BatchRecord.decode(record.payload) == nil {
                    report.problems.append(.init(path: walPath, offset: record.offset, message: "log record does not decode"))
                }
            }
            switch scan.ending {
            case .clean: break
            case .tornTail(let offset):
                report.notes.append("the write-ahead log has a torn or unsynced tail at offset \(offset); the next writer truncates it")
            case .corruptMiddle(let offset):
                report.problems.append(.init(path: walPath, offset: offset, message: "log frame is damaged before later durable frames"))
            }
        } catch let error as TallyError {
            report.problems.append(.init(path: walPath, offset: error.offset, message: error.message))
        } catch {
            report.problems.append(.init(path: walPath, offset: nil, message: "\(error)"))
        }
    }
}
