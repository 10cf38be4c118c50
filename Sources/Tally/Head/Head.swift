/// The in-memory rollups: every cell not yet written to a segment (PRODUCT.md, "the head").
///
/// Locking: the engine's state lock guards the head; nothing here is thread-safe by itself.
struct Head {
    let bucketMilliseconds: Int64
    var strings = StringTable()
    /// By metric name id.
    var metrics: [UInt32: MetricRollup] = [:]
    /// Events folded in since the last flush.
    private(set) var eventCount = 0
    /// Approximate bytes held, compared with the memory budget.
    private(set) var approximateBytes = 0
    /// The newest event timestamp seen (data time), `Int64.min` when empty.
    private(set) var newestTimestamp = Int64.min
    /// The start of the oldest bucket held, `Int64.max` when empty.
    private(set) var oldestBucket = Int64.max

    init(bucketMilliseconds: Int64) {
        self.bucketMilliseconds = bucketMilliseconds
    }

    var isEmpty: Bool { eventCount == 0 }

    var totalBytes: Int { approximateBytes + strings.approximateBytes }

    /// Folds a validated batch in. Events with `timestamp < horizon` are skipped and counted.
    /// The caller checked ``exceedsSeriesLimit(_:limit:)`` first, so this cannot fail half way.
    /// - Returns: the number of events skipped as older than `horizon`.
    mutating func apply(_ batch: EventBatch, horizon: Int64) -> Int {
        var mapping = BatchStringMapping(count: batch.strings.count)
        // Per batch string used as a metric: where its rollup is in `metrics` (valid until a
        // metric is added).
        var rollupPositions = [Dictionary<UInt32, MetricRollup>.Index?](repeating: nil, count: batch.strings.count)
        var dropped = 0
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: Limits.maxDimensionsPerEvent) { scratch in
            for event in 0..<batch.count {
                let timestamp = batch.timestamps[event]
                if timestamp < horizon {
                    dropped += 1
                    continue
                }
                let batchMetric = Int(batch.metrics[event])
                if rollupPositions[batchMetric] == nil {
                    let metric = mapping.id(batch.metrics[event], batch, &strings)
                    if metrics[metric] == nil {
                        metrics[metric] = MetricRollup()
                        for i in rollupPositions.indices { rollupPositions[i] = nil }
                    }
                    rollupPositions[batchMetric] = metrics.index(forKey: metric)
                }
                let series = seriesKey(of: event, in: batch, mapping: &mapping, into: scratch)
                let bucket = TimeGrid.floor(timestamp, width: bucketMilliseconds)
                let unit = batch.units[event]
                let unitHash = unit == EventBatch.noUnit ? nil : mapping.unitHash(unit, batch)
                let value = batch.hasValue[event] ? batch.values[event] : nil
                approximateBytes += metrics.values[rollupPositions[batchMetric]!].add(
                    series: series, bucket: bucket, value: value, unitHash: unitHash)
                eventCount += 1
                if timestamp > newestTimestamp { newestTimestamp = timestamp }
                if bucket < oldestBucket { oldestBucket = bucket }
            }
        }
        return dropped
    }

    /// The event's series as sorted packed pairs, written to the front of `scratch` (which holds
    /// ``Limits/maxDimensionsPerEvent`` words; validation bounds the dimensions by it).
    @inline(__always)
    private mutating func seriesKey(
        of event: Int, in batch: EventBatch, mapping: inout BatchStringMapping,
        into scratch: UnsafeMutableBufferPointer<UInt64>
    ) -> UnsafeBufferPointer<UInt64> {
        let dimensions = batch.dimensionRange(of: event)
        precondition(dimensions.count <= scratch.count, "an event has more dimensions than validation allows")
        var count = 0
        for d in dimensions {
            let pair = SeriesKey.pack(
                key: mapping.id(batch.dimensionKeys[d], batch, &strings),
                value: mapping.id(batch.dimensionValues[d], batch, &strings))
            var i = count  // insertion sort: a handful of pairs
            while i > 0 && scratch[i - 1] > pair {
                scratch[i] = scratch[i - 1]
                i -= 1
            }
            scratch[i] = pair
            count += 1
        }
        return UnsafeBufferPointer(rebasing: scratch[0..<count])
    }

    /// The metric whose distinct series would pass `limit` if `batch` were applied, if any.
    func exceedsSeriesLimit(_ batch: EventBatch, limit: Int) -> String? {
        // Counting new series costs a pass; skip it when no metric could reach the limit.
        var perMetricEvents = [Int](repeating: 0, count: batch.strings.count)  // by batch string
        for metric in batch.metrics { perMetricEvents[Int(metric)] += 1 }
        for (index, events) in perMetricEvents.enumerated() where events > 0 {
            let batchMetric = UInt32(index)
            let name = batch.strings[index]
            let existing = strings.id(of: name).flatMap { metrics[$0]?.series.count } ?? 0
            guard existing + events > limit else { continue }
            var newSeries = Set<[String]>()
            for event in 0..<batch.count where batch.metrics[event] == batchMetric {
                let dims = batch.dimensionRange(of: event).map {
                    (batch.strings[Int(batch.dimensionKeys[$0])], batch.strings[Int(batch.dimensionValues[$0])])
                }.sorted { $0.0 < $1.0 }
                if !containsSeries(metric: name, dimensions: dims) {
                    newSeries.insert(dims.flatMap { [$0.0, $0.1] })
                }
                if existing + newSeries.count > limit { return name }
            }
        }
        return nil
    }

    private func containsSeries(metric: String, dimensions: [(String, String)]) -> Bool {
        guard let metricID = strings.id(of: metric), let rollup = metrics[metricID] else { return false }
        var pairs: [UInt64] = []
        for (key, value) in dimensions {
            guard let k = strings.id(of: key), let v = strings.id(of: value) else { return false }
            pairs.append(SeriesKey.pack(key: k, value: v))
        }
        pairs.sort()
        return pairs.withUnsafeBufferPointer { rollup.series.id(of: $0) } != nil
    }
}

extension Head {
    /// Merges every sketch's pending inserts, in place: the segment writer then reads each
    /// sketch as it is instead of keeping a normalized copy of every row (it needs sorted keys).
    mutating func normalizeSketches() {
        // The keys are copied out first: iterating `metrics.keys` itself kept a second reference
        // to the dictionary, so each mutation below copied it and then every cell of the metric.
        for metric in Array(metrics.keys) {
            metrics[metric]!.cells.withUnsafeMutableBufferPointer { cells in
                for index in cells.indices { cells[index].units?.flushPending() }
            }
        }
    }
}

extension MetricRollup {
    /// Adds one event of the series whose sorted packed pairs are `key`; returns the growth in
    /// approximate bytes.
    @inline(__always)
    mutating func add(series key: UnsafeBufferPointer<UInt64>, bucket: Int64, value: Double?, unitHash: UInt64?) -> Int {
        var grown = 0
        let (seriesID, isNewSeries) = series.insert(key)
        if isNewSeries { grown += 64 + key.count * 16 }
        let cellKey = CellKey(series: seriesID, bucket: bucket)
        let (slot, existing) = cellIDs.find(cellKey)
        let cellID: Int
        if let existing {
            cellID = existing
        } else {
            cellID = cells.count
            cells.append(RollupCell())
            cellKeys.append(cellKey)
            cellIDs.insert(cellKey, id: cellID, at: slot)
            grown += MemoryLayout<RollupCell>.stride + MemoryLayout<CellKey>.stride * 3 + 16
        }
        cells[cellID].add(value: value)
        if let unitHash { grown += cells[cellID].add(unitHash: unitHash) }
        return grown
    }
}

/// Maps a batch's string indices to head string ids, and unit strings to their hashes,
/// computing each at most once per batch.
struct BatchStringMapping {
    private var ids: [UInt32]
    private var hashes: [UInt64]
    private var hashed: [Bool]

    init(count: Int) {
        ids = Array(repeating: .max, count: count)
        hashes = Array(repeating: 0, count: count)
        hashed = Array(repeating: false, count: count)
    }

    @inline(__always)
    mutating func id(_ index: UInt32, _ batch: EventBatch, _ strings: inout StringTable) -> UInt32 {
        let i = Int(index)
        if ids[i] == .max { ids[i] = strings.intern(batch.strings[i]) }
        return ids[i]
    }

    /// The hash that distinct counts use for a unit: XXH64 (seed 0) of its UTF-8 bytes.
    @inline(__always)
    mutating func unitHash(_ index: UInt32, _ batch: EventBatch) -> UInt64 {
        let i = Int(index)
        if !hashed[i] {
            hashes[i] = XXHash64.hash(batch.strings[i])
            hashed[i] = true
        }
        return hashes[i]
    }
}
