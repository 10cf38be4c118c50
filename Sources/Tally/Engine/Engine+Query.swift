/// The read path: plan (validate, prune segments) → aggregate the head under the lock →
/// scan the pruned segments without it → merge.
extension Engine {
    func query(_ query: Query) throws -> QueryResult {
        try validate(query)
        var aggregator = Aggregator(query: query)
        let (segments, file) = try stateLock.withLock { () throws -> ([SegmentInfo], any FileHandle) in
            try checkOpen()
            aggregateHead(into: &aggregator)
            let relevant = catalog.segments.filter { segment in
                segment.metrics.contains(query.metric) && segment.timeRangeEnd > aggregator.from
                    && segment.minTime < aggregator.to
            }
            return (relevant, self.file)
        }
        for segment in segments {
            try scan(segment, file: file, into: &aggregator)
        }
        return aggregator.result()
    }

    private func validate(_ query: Query) throws {
        if case .milliseconds(let width) = query.every {
            guard width > 0, width % bucketMilliseconds == 0 else {
                throw TallyError.invalid("every must be a positive multiple of the database bucket (\(bucketMilliseconds) ms)")
            }
        }
        if let from = query.from, let to = query.to, from > to {
            throw TallyError.invalid("the time range is empty: from is after to")
        }
        for key in query.groupBy where query.groupBy.filter({ $0 == key }).count > 1 {
            throw TallyError.invalid("group-by key \"\(key)\" is given twice")
        }
    }

    /// Caller holds `stateLock`.
    private func aggregateHead(into aggregator: inout Aggregator) {
        guard let metricID = head.strings.id(of: aggregator.query.metric), let rollup = head.metrics[metricID] else {
            return
        }
        var localGroups: [[String?]: Int] = [:]
        var groupValues: [[String?]] = []
        let seriesGroups = rollup.series.map { key -> Int in
            let pairs = (0..<key.pairCount).lazy.map {
                (key: self.head.strings[key.key(at: $0)], value: self.head.strings[key.value(at: $0)])
            }
            guard let values = aggregator.groupValues(of: pairs) else { return -1 }
            if let existing = localGroups[values] { return existing }
            localGroups[values] = groupValues.count
            groupValues.append(values)
            return groupValues.count - 1
        }
        var local: [Aggregator.LocalKey: RollupCell] = [:]
        for (index, cellKey) in rollup.cellKeys.enumerated() {
            let group = seriesGroups[Int(cellKey.series)]
            guard group >= 0, aggregator.includes(bucket: cellKey.bucket) else { continue }
            var cell = rollup.cells[index]
            if !aggregator.wantsUnits { cell.units = nil }
            local[Aggregator.LocalKey(group: group, slot: aggregator.slot(of: cellKey.bucket)), default: RollupCell()]
                .merge(cell)
        }
        aggregator.merge(local, groupValues: groupValues, bucketWidth: bucketMilliseconds)
    }

    private func scan(_ segment: SegmentInfo, file: any FileHandle, into aggregator: inout Aggregator) throws {
        let reader = SegmentReader(file: file, info: segment, partitionMilliseconds: partitionMilliseconds)
        let cached = try cachedSegment(segment, reader: reader)
        guard let metric = cached.footer.metrics.first(where: { cached.dictionary[$0.nameIndex] == aggregator.query.metric })
        else { return }
        guard metric.maxTime >= aggregator.from, metric.minTime < aggregator.to else { return }
        var columns: SegmentReader.Columns = []
        let measures = aggregator.query.measures
        if !measures.isDisjoint(with: [.sum, .min, .max, .mean]) { columns.insert(.values) }
        if aggregator.wantsUnits { columns.insert(.sketches) }
        let data = try reader.readColumns(metric, footer: cached.footer, columns: columns)
        var localGroups: [[String?]: Int] = [:]
        var groupValues: [[String?]] = []
        var local: [Aggregator.LocalKey: RollupCell] = [:]
        var row = 0
        for (seriesIndex, run) in data.seriesRuns.enumerated() {
            defer { row += run }
            let pairs = data.series[seriesIndex].lazy.map {
                (key: cached.dictionary[$0.key], value: cached.dictionary[$0.value])
            }
            guard let values = aggregator.groupValues(of: pairs) else { continue }
            let group: Int
            if let existing = localGroups[values] {
                group = existing
            } else {
                group = groupValues.count
                localGroups[values] = group
                groupValues.append(values)
            }
            for r in row..<row + run where aggregator.includes(bucket: data.buckets[r]) {
                let cell = data.cell(at: r)
                local[Aggregator.LocalKey(group: group, slot: aggregator.slot(of: data.buckets[r])), default: RollupCell()]
                    .merge(cell)
            }
        }
        aggregator.merge(local, groupValues: groupValues, bucketWidth: segment.bucketMilliseconds)
    }

    /// Segments whose footer and dictionary stay decoded in memory.
    static let segmentCacheCapacity = 512

    func cachedSegment(_ segment: SegmentInfo, reader: SegmentReader) throws -> CachedSegment {
        if let cached = segmentCache.withLock({ $0[segment.id] }) { return cached }
        let footer = try reader.readFooter()
        let entry = CachedSegment(footer: footer, dictionary: try reader.readDictionary(footer))
        segmentCache.withLock { cache in
            // Bounded: past the cap the cache starts over (footers are cheap to re-read).
            if cache.count >= Engine.segmentCacheCapacity { cache.removeAll(keepingCapacity: true) }
            cache[segment.id] = entry
        }
        return entry
    }
}
