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
        let lanes = min(scanThreads, segments.count / Engine.segmentsPerScanThread)
        if lanes <= 1 {
            for segment in segments { try scan(segment, file: file, into: &aggregator) }
        } else {
            for partial in try scanInParallel(segments, lanes: lanes, file: file, query: query) {
                aggregator.merge(partial)
            }
        }
        return aggregator.result()
    }

    private func validate(_ query: Query) throws {
        if case .milliseconds(let width) = query.every {
            guard width > 0, width % bucketMilliseconds == 0 else {
                throw TallyError.invalid("every must be a positive multiple of the database bucket (\(bucketMilliseconds) ms)")
            }
            // Slots wider than every valid timestamp's range add nothing over `total`, and
            // flooring a time to them could overflow.
            guard width <= Query.maxSlotMilliseconds else {
                throw TallyError.invalid("every must be at most \(Query.maxSlotMilliseconds) ms (about 8 900 years); use total")
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
        let strings = head.strings
        let matcher = SeriesMatcher(query: aggregator.query) { strings.id(of: $0).map(Int32.init) }
        guard matcher.canMatch else { return }
        var grouping = LocalGrouping()
        var groupValues: [Int32] = []
        let seriesGroups = rollup.series.map { key -> Int in
            let keys = (0..<key.pairCount).lazy.map { Int32(key.key(at: $0)) }
            let values = (0..<key.pairCount).lazy.map { Int32(key.value(at: $0)) }
            return matcher.groupValues(keys: keys, values: values, into: &groupValues) ? grouping.group(for: groupValues) : -1
        }
        var local = LocalAccumulator()
        for (index, cellKey) in rollup.cellKeys.enumerated() {
            let group = seriesGroups[Int(cellKey.series)]
            guard group >= 0, aggregator.includes(bucket: cellKey.bucket) else { continue }
            var cell = rollup.cells[index]
            if !aggregator.wantsUnits { cell.units = nil }
            local.add(cell, at: Aggregator.LocalKey(group: group, slot: aggregator.slot(of: cellKey.bucket)))
        }
        let globalGroups = grouping.globalGroups(in: &aggregator) { strings[UInt32($0)] }
        aggregator.merge(local, globalGroups: globalGroups, bucketWidth: bucketMilliseconds)
    }

    /// Merges what one segment holds for the query into `aggregator` (any thread).
    func scan(_ segment: SegmentInfo, file: any FileHandle, into aggregator: inout Aggregator) throws {
        let reader = SegmentReader(file: file, info: segment, partitionMilliseconds: partitionMilliseconds)
        let query = aggregator.query
        if query.filters.isEmpty && query.groupBy.isEmpty && !aggregator.wantsUnits {
            return try scanTotals(segment, reader: reader, into: &aggregator)
        }
        let (footer, names) = try cachedFooter(segment, reader: reader)
        guard let metricIndex = footer.metrics.firstIndex(where: { names.dictionary[$0.nameIndex] == query.metric })
        else { return }
        let metric = footer.metrics[metricIndex]
        guard metric.maxTime >= aggregator.from, metric.minTime < aggregator.to else { return }
        let matcher = SeriesMatcher(query: query) { names.index[$0] }
        guard matcher.canMatch else { return }
        var grouping = LocalGrouping()
        var local = LocalAccumulator()
        var zones = ZoneFilter(query: query, index: names.index)
        var sketchEntries = LazySketchEntries()
        for (groupIndex, rowGroup) in metric.groups.enumerated()
        where rowGroup.maxTime >= aggregator.from && rowGroup.minTime < aggregator.to
            && zones.admits(rowGroup, dictionary: names.dictionary) {
            let key = ColumnCache.Key(segment: segment.id, metric: metricIndex, group: groupIndex, columns: 0)
            try scan(rowGroup, at: key, of: segment, reader: reader, footer: footer, matcher: matcher,
                     names: names, sketchEntries: &sketchEntries, grouping: &grouping, into: &local,
                     aggregator: &aggregator)
        }
        let globalGroups = grouping.globalGroups(in: &aggregator) { names.dictionary[$0] }
        aggregator.merge(local, globalGroups: globalGroups, bucketWidth: segment.bucketMilliseconds)
    }

    /// Rule S8: a query with no filter, group-by or units is answered from the per-bucket
    /// totals, without reading any row or the dictionary. The catalog lists the segment's
    /// metrics in the footer's order (S6), which finds the metric's entry.
    private func scanTotals(_ segment: SegmentInfo, reader: SegmentReader, into aggregator: inout Aggregator) throws {
        let footer = try cachedSummary(segment, reader: reader)
        guard let metricIndex = segment.metrics.firstIndex(of: aggregator.query.metric) else { return }
        guard footer.metrics.count == segment.metrics.count else {
            throw TallyError.corruption(
                "segment \(segment.id): footer lists \(footer.metrics.count) metrics, the catalog \(segment.metrics.count)",
                path: reader.file.path, offset: segment.footerOffset)
        }
        let metric = footer.metrics[metricIndex]
        guard metric.maxTime >= aggregator.from, metric.minTime < aggregator.to else { return }
        var local = LocalAccumulator()
        let totals = try reader.readTotals(
            metric, partitionStart: footer.partitionStart, bucketMilliseconds: footer.bucketMilliseconds)
        for (bucket, cell) in totals where aggregator.includes(bucket: bucket) {
            local.add(cell, at: Aggregator.LocalKey(group: 0, slot: aggregator.slot(of: bucket, width: segment.bucketMilliseconds)))
        }
        aggregator.merge(local, globalGroups: [aggregator.group(for: [])], bucketWidth: segment.bucketMilliseconds)
    }

    /// Accumulates one row group; `key` names it in the column cache (its `columns` is set here).
    /// A (group, slot) met for the first time in this segment starts from the aggregator's cell
    /// for it, taken out until the segment is merged: one sketch then grows across segments,
    /// instead of a sparse one per segment that is sorted and merged entry by entry.
    private func scan(
        _ rowGroup: SegmentFooter.RowGroup, at key: ColumnCache.Key, of segment: SegmentInfo, reader: SegmentReader,
        footer: SegmentFooter, matcher: SeriesMatcher, names: CachedSegment.Names,
        sketchEntries: inout LazySketchEntries, grouping: inout LocalGrouping, into local: inout LocalAccumulator,
        aggregator: inout Aggregator
    ) throws {
        var columns: SegmentReader.Columns = []
        let measures = aggregator.query.measures
        if !measures.isDisjoint(with: [.sum, .min, .max, .mean]) { columns.insert(.values) }
        if aggregator.wantsUnits { columns.insert(.sketches) }
        if !matcher.matchesAllIntoOneGroup { columns.insert(.series) }
        var key = key
        key.columns = columns.rawValue
        let data: SegmentReader.MetricColumns
        if let cached = columnCache.withLock({ $0.columns(for: key) }) {
            data = cached
        } else {
            let table = columns.contains(.sketches) ? try sketchEntries.table(reader: reader, footer: footer) : nil
            data = try reader.readColumns(rowGroup, footer: footer, columns: columns, sketchEntries: table)
            columnCache.withLock { $0.insert(data, for: key) }
        }
        // Two passes: each included row is first assigned its cell (a series' rows share its
        // group, so the series' dimensions are matched once), then each column is merged into
        // the cells row by row. Raw buffers, not arrays, inside the loops: a captured or sliced
        // array is retained per use.
        let width = segment.bucketMilliseconds
        var rowCells = [Int32](repeating: -1, count: data.buckets.count)
        rowCells.withUnsafeMutableBufferPointer { rowCells in
            data.buckets.withUnsafeBufferPointer { buckets in
                func assign(rows: Range<Int>, group: Int) {
                    for row in rows where aggregator.includes(bucket: buckets[row]) {
                        let key = Aggregator.LocalKey(group: group, slot: aggregator.slot(of: buckets[row], width: width))
                        rowCells[row] = Int32(local.cellIndex(of: key) { key in
                            let group = grouping.globalGroup(key.group, in: &aggregator) { names.dictionary[$0] }
                            return aggregator.takeCell(group: group, slot: key.slot)
                        })
                    }
                }
                if matcher.matchesAllIntoOneGroup {
                    return assign(rows: buckets.indices, group: grouping.group(for: []))
                }
                var row = 0
                data.series.start.withUnsafeBufferPointer { start in
                    data.series.keys.withUnsafeBufferPointer { keys in
                        data.series.values.withUnsafeBufferPointer { values in
                            if let soleKey = matcher.soleGroupKey {
                                // One group-by key and no filter (the common shape): the group
                                // is the series' value of that key, found without a tuple.
                                for (seriesIndex, run) in data.seriesRuns.enumerated() {
                                    var value: Int32 = -1
                                    for pair in start[seriesIndex]..<start[seriesIndex + 1] where keys[pair] == soleKey {
                                        value = values[pair]
                                        break
                                    }
                                    assign(rows: row..<row + run, group: grouping.group(forValue: value))
                                    row += run
                                }
                                return
                            }
                            var groupValues: [Int32] = []
                            for (seriesIndex, run) in data.seriesRuns.enumerated() {
                                defer { row += run }
                                let pairs = start[seriesIndex]..<start[seriesIndex + 1]
                                guard matcher.groupValues(keys: keys[pairs], values: values[pairs], into: &groupValues)
                                else { continue }
                                assign(rows: row..<row + run, group: grouping.group(for: groupValues))
                            }
                        }
                    }
                }
            }
        }
        local.mergeRows(of: data, into: rowCells)
    }

    /// Segments whose footer (and dictionary, once needed) stay decoded in memory.
    static let segmentCacheCapacity = 512

    /// The segment's whole footer and its dictionary, from the cache or the file.
    func cachedFooter(_ segment: SegmentInfo, reader: SegmentReader) throws -> (SegmentFooter, CachedSegment.Names) {
        if let cached = segmentCache.withLock({ $0[segment.id] }), let footer = cached.footer, let names = cached.names {
            return (footer, names)
        }
        let footer = try reader.readFooter()
        let dictionary = try reader.readDictionary(footer)
        var index: [String: Int32] = [:]
        index.reserveCapacity(dictionary.count)
        for (position, string) in dictionary.enumerated() { index[string] = Int32(position) }
        let names = CachedSegment.Names(dictionary: dictionary, index: index)
        cache(CachedSegment(summary: footer.summary, footer: footer, names: names), for: segment)
        return (footer, names)
    }

    /// The segment's footer summary, from the cache or the file (which decodes no row group).
    func cachedSummary(_ segment: SegmentInfo, reader: SegmentReader) throws -> SegmentFooter.Summary {
        if let cached = segmentCache.withLock({ $0[segment.id] }) { return cached.summary }
        let summary = try reader.readFooterSummary()
        cache(CachedSegment(summary: summary, footer: nil, names: nil), for: segment)
        return summary
    }

    private func cache(_ entry: CachedSegment, for segment: SegmentInfo) {
        segmentCache.withLock { cache in
            // A whole footer is not replaced by a summary another thread decoded meanwhile.
            if entry.footer == nil, cache[segment.id] != nil { return }
            // Bounded: past the cap the cache starts over (footers are cheap to re-read).
            if cache.count >= Engine.segmentCacheCapacity { cache.removeAll(keepingCapacity: true) }
            cache[segment.id] = entry
        }
    }
}

/// A segment's sketch entry table, read when a scan first decodes a sketch column of the
/// segment (not kept across queries: decoded columns are, in the column cache).
struct LazySketchEntries {
    private var loaded: SketchEntryTable??

    mutating func table(reader: SegmentReader, footer: SegmentFooter) throws -> SketchEntryTable? {
        if let loaded { return loaded }
        let table = try reader.readSketchEntries(footer)
        loaded = .some(table)
        return table
    }
}

/// Numbers the distinct group-value tuples met while scanning one source, from 0.
struct LocalGrouping {
    /// Multi-key tuples (each value as the bit pattern of its `Int64`), by local group.
    private var tuples = SeriesIndex()
    /// One group-by key (the common case), looked up without hashing: by value id + 1 (so -1,
    /// the missing key, is index 0), the group + 1, or 0 when the value has no group yet. At
    /// most one entry per string of the source's dictionary.
    private var singleValueIDs: [Int] = []
    /// The group of the empty tuple (queries without group-by), once met: found without hashing.
    private var emptyTuple: Int?
    /// Per local group: its global group in the aggregator + 1, 0 until asked.
    private var globalGroups: [Int] = []
    /// Per source string id: the aggregator's id for the string + 1, 0 until needed.
    private var globalStrings: [UInt64] = []
    /// Reused for each tuple's words (an array per series and group was most of the allocations).
    private var scratch: [UInt64] = []

    var count: Int { tuples.count }

    mutating func group(for values: [Int32]) -> Int {
        guard values.count == 1 else {
            if values.isEmpty, let emptyTuple { return emptyTuple }
            scratch.removeAll(keepingCapacity: true)
            for value in values { scratch.append(UInt64(bitPattern: Int64(value))) }
            let group = Int(scratch.withUnsafeBufferPointer { tuples.insert($0).id })
            if values.isEmpty { emptyTuple = group }
            return group
        }
        return group(forValue: values[0])
    }

    /// ``group(for:)`` of the one-value tuple `[value]`.
    @inline(__always)
    mutating func group(forValue value: Int32) -> Int {
        let slot = Int(value) + 1
        if slot < singleValueIDs.count, singleValueIDs[slot] > 0 { return singleValueIDs[slot] - 1 }
        if slot >= singleValueIDs.count {
            singleValueIDs.append(contentsOf: repeatElement(0, count: slot + 1 - singleValueIDs.count))
        }
        let word = UInt64(bitPattern: Int64(value))
        let group = Int(withUnsafePointer(to: word) { tuples.insert(UnsafeBufferPointer(start: $0, count: 1)).id })
        singleValueIDs[slot] = group + 1
        return group
    }

    /// The aggregator's group for local group `group`, whose values are source string ids
    /// (`string` gives their text; -1 is a missing key).
    mutating func globalGroup(_ group: Int, in aggregator: inout Aggregator, _ string: (Int) -> String) -> Int {
        if group < globalGroups.count, globalGroups[group] > 0 { return globalGroups[group] - 1 }
        if group >= globalGroups.count {
            globalGroups.append(contentsOf: repeatElement(0, count: group + 1 - globalGroups.count))
        }
        scratch.removeAll(keepingCapacity: true)
        for word in tuples[group].packedPairs {
            let value = Int(Int64(bitPattern: word))
            guard value >= 0 else {
                scratch.append(Aggregator.missing)
                continue
            }
            if value >= globalStrings.count {
                globalStrings.append(contentsOf: repeatElement(0, count: value + 1 - globalStrings.count))
            }
            if globalStrings[value] == 0 { globalStrings[value] = UInt64(aggregator.intern(string(value))) + 1 }
            scratch.append(globalStrings[value] - 1)
        }
        let global = scratch.withUnsafeBufferPointer { aggregator.group(forKey: $0) }
        globalGroups[group] = global + 1
        return global
    }

    /// ``globalGroup(_:in:_:)`` of every local group, by local group.
    mutating func globalGroups(in aggregator: inout Aggregator, _ string: (Int) -> String) -> [Int] {
        (0..<count).map { globalGroup($0, in: &aggregator, string) }
    }
}
