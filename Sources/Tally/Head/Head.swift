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
        var dropped = 0
        var pairs: [(UInt32, UInt32)] = []
        pairs.reserveCapacity(Limits.maxDimensionsPerEvent)
        for event in 0..<batch.count {
            let timestamp = batch.timestamps[event]
            if timestamp < horizon {
                dropped += 1
                continue
            }
            let metric = mapping.id(batch.metrics[event], batch, &strings)
            let series = seriesKey(of: event, in: batch, mapping: &mapping, scratch: &pairs)
            let bucket = TimeGrid.floor(timestamp, width: bucketMilliseconds)
            let unit = batch.units[event]
            let unitHash = unit == EventBatch.noUnit ? nil : mapping.unitHash(unit, batch)
            let value = batch.hasValue[event] ? batch.values[event] : nil
            approximateBytes += metrics[metric, default: MetricRollup()].add(
                series: series, bucket: bucket, value: value, unitHash: unitHash)
            eventCount += 1
            if timestamp > newestTimestamp { newestTimestamp = timestamp }
            if bucket < oldestBucket { oldestBucket = bucket }
        }
        return dropped
    }

    private mutating func seriesKey(
        of event: Int, in batch: EventBatch, mapping: inout BatchStringMapping, scratch: inout [(UInt32, UInt32)]
    ) -> SeriesKey {
        scratch.removeAll(keepingCapacity: true)
        for d in batch.dimensionRange(of: event) {
            scratch.append((mapping.id(batch.dimensionKeys[d], batch, &strings),
                            mapping.id(batch.dimensionValues[d], batch, &strings)))
        }
        scratch.sort { $0.0 < $1.0 }
        var flat: [UInt32] = []
        flat.reserveCapacity(scratch.count * 2)
        for (key, value) in scratch {
            flat.append(key)
            flat.append(value)
        }
        return SeriesKey(pairs: flat)
    }

    /// The metric whose distinct series would pass `limit` if `batch` were applied, if any.
    func exceedsSeriesLimit(_ batch: EventBatch, limit: Int) -> String? {
        // Counting new series costs a pass; skip it when no metric could reach the limit.
        var perMetricEvents: [UInt32: Int] = [:]
        for metric in batch.metrics { perMetricEvents[metric, default: 0] += 1 }
        for (batchMetric, events) in perMetricEvents {
            let name = batch.strings[Int(batchMetric)]
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
        var pairs: [(UInt32, UInt32)] = []
        for (key, value) in dimensions {
            guard let k = strings.id(of: key), let v = strings.id(of: value) else { return false }
            pairs.append((k, v))
        }
        pairs.sort { $0.0 < $1.0 }
        return rollup.seriesIDs[SeriesKey(pairs: pairs.flatMap { [$0.0, $0.1] })] != nil
    }
}

extension MetricRollup {
    /// Adds one event; returns the growth in approximate bytes.
    @inline(__always)
    mutating func add(series key: SeriesKey, bucket: Int64, value: Double?, unitHash: UInt64?) -> Int {
        var grown = 0
        let seriesID: UInt32
        if let existing = seriesIDs[key] {
            seriesID = existing
        } else {
            seriesID = UInt32(series.count)
            series.append(key)
            seriesIDs[key] = seriesID
            grown += 64 + key.pairs.count * 8
        }
        let cellKey = CellKey(series: seriesID, bucket: bucket)
        let cellID: Int
        if let existing = cellIDs[cellKey] {
            cellID = existing
        } else {
            cellID = cells.count
            cells.append(RollupCell())
            cellKeys.append(cellKey)
            cellIDs[cellKey] = cellID
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
