/// Decoded row groups kept for later queries within a byte budget
/// (``Options/queryCacheBytes``), so that a repeated query skips reading, inflating and
/// decoding them. Segments never change once written, so an entry is valid for as long as its
/// segment is in the catalog; entries of dropped or compacted segments are removed with them.
/// Eviction is first in, first out.
///
/// Locking: guarded by its own lock (`Engine.columnCache`), never held while reading the file.
struct ColumnCache {
    struct Key: Hashable {
        var segment: UInt64
        var metric: Int
        var group: Int
        var columns: Int
    }

    let budgetBytes: Int
    private var entries: [Key: (columns: SegmentReader.MetricColumns, bytes: Int)] = [:]
    /// Insertion order; `order[evicted...]` are the keys still cached or already removed.
    private var order: [Key] = []
    private var evicted = 0
    private(set) var bytes = 0

    init(budgetBytes: Int) {
        self.budgetBytes = budgetBytes
    }

    func columns(for key: Key) -> SegmentReader.MetricColumns? { entries[key]?.columns }

    /// The segments with at least one cached row group.
    var segmentsCached: Set<UInt64> { Set(entries.keys.map(\.segment)) }

    /// Caches `columns` unless they alone exceed the budget, evicting the oldest entries first.
    mutating func insert(_ columns: SegmentReader.MetricColumns, for key: Key) {
        let size = columns.approximateBytes
        guard size <= budgetBytes, entries[key] == nil else { return }
        while bytes + size > budgetBytes, evicted < order.count {
            if let old = entries.removeValue(forKey: order[evicted]) { bytes -= old.bytes }
            evicted += 1
        }
        if evicted > 1024 && evicted * 2 > order.count {
            order.removeFirst(evicted)
            evicted = 0
        }
        entries[key] = (columns, size)
        order.append(key)
        bytes += size
    }

    /// Drops the entries of segments no longer in the catalog.
    mutating func keepOnly(segments live: Set<UInt64>) {
        for (key, entry) in entries where !live.contains(key.segment) {
            entries[key] = nil
            bytes -= entry.bytes
        }
    }
}

extension SegmentReader.MetricColumns {
    /// Heap bytes held, roughly: 8 per number (4 per series pair slot reserved), the sketch
    /// column's bytes.
    var approximateBytes: Int {
        let numbers = series.start.count + seriesRuns.count + buckets.count + counts.count
            + (series.keys.capacity + series.values.capacity) / 2 + (valueCounts?.count ?? 0) + (sums?.count ?? 0)
            + (minimums?.count ?? 0) + (maximums?.count ?? 0)
        let sketchBytes = sketches?.approximateBytes ?? 0
        return 256 + 8 * numbers + sketchBytes
    }
}
