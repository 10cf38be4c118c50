/// Merges cells into query rows keyed by (time slot, group values).
///
/// Sources (the head, each segment) first map each of their series to a local group, once per
/// series; rows then accumulate by (local group, slot) and are merged into the global result
/// per local group, so per-row work is one small hash lookup.
struct Aggregator {
    let query: Query
    /// Width of a time slot; `nil` for ``Every/total``.
    let slotWidth: Int64?
    let from: Int64
    let to: Int64
    let wantsUnits: Bool
    private(set) var groups: [GroupKey: RollupCell] = [:]
    private(set) var coarsestBucket: Int64 = 0

    struct GroupKey: Hashable {
        var slot: Int64
        var values: [String?]
    }

    init(query: Query) {
        self.query = query
        if case .milliseconds(let width) = query.every { slotWidth = width } else { slotWidth = nil }
        from = query.from ?? .min
        to = query.to ?? .max
        wantsUnits = query.measures.contains(.units)
    }

    @inline(__always)
    func includes(bucket: Int64) -> Bool { bucket >= from && bucket < to }

    @inline(__always)
    func slot(of bucket: Int64) -> Int64 {
        guard let slotWidth else { return 0 }
        return TimeGrid.floor(bucket, width: slotWidth)
    }

    /// The slot of a row `width` ms wide starting at `bucket`: the slot containing its start, or,
    /// when the row is wider than a slot (a downsampled partition), the row's own start, so the
    /// row is reported at its coarser bucket (format-spec.md, rule K7).
    @inline(__always)
    func slot(of bucket: Int64, width: Int64) -> Int64 {
        guard let slotWidth else { return 0 }
        return width > slotWidth ? bucket : TimeGrid.floor(bucket, width: slotWidth)
    }

    /// Merges the partial result of one source: `local[(group, slot)]` with `groupValues[group]`.
    mutating func merge(_ local: LocalAccumulator, groupValues: [[String?]], bucketWidth: Int64) {
        guard !local.cells.isEmpty else { return }
        coarsestBucket = max(coarsestBucket, bucketWidth)
        for (key, cell) in zip(local.keys, local.cells) {
            let group = GroupKey(slot: key.slot, values: groupValues[key.group])
            if groups[group] == nil {
                groups[group] = cell  // a cell taken out by `takeCell` comes back whole
            } else {
                groups[group]!.merge(cell)
            }
        }
    }

    /// Removes and returns the cell accumulated at `key` (empty if none), for a source to go on
    /// accumulating into; ``merge(_:groupValues:bucketWidth:)`` puts it back. The source must
    /// take each key at most once before merging.
    mutating func takeCell(at key: GroupKey) -> RollupCell {
        groups.removeValue(forKey: key) ?? RollupCell()
    }

    /// Merges another partial result of the same query (a parallel scan's other lane).
    mutating func merge(_ other: Aggregator) {
        coarsestBucket = max(coarsestBucket, other.coarsestBucket)
        for (key, cell) in other.groups { groups[key, default: RollupCell()].merge(cell) }
    }

    struct LocalKey: Hashable {
        var group: Int
        var slot: Int64
    }

    func result() -> QueryResult {
        let rows = groups.map { key, cell in
            QueryRow(
                time: slotWidth == nil ? nil : key.slot, dimensions: key.values, count: cell.count,
                valueCount: cell.valueCount, sum: cell.total,
                min: cell.valueCount > 0 ? cell.min : nil, max: cell.valueCount > 0 ? cell.max : nil,
                units: wantsUnits ? (cell.units?.estimate() ?? 0) : nil)
        }.sorted(by: Aggregator.rowOrder)
        return QueryResult(
            groupBy: query.groupBy, measures: query.measures.sorted(), rows: rows, unitsAreEstimates: wantsUnits,
            coarsestBucketMilliseconds: coarsestBucket)
    }

    /// Time, then dimension values with `nil` first.
    static func rowOrder(_ a: QueryRow, _ b: QueryRow) -> Bool {
        if a.time != b.time { return (a.time ?? .min) < (b.time ?? .min) }
        for (x, y) in zip(a.dimensions, b.dimensions) where x != y {
            guard let x else { return true }
            guard let y else { return false }
            return x < y
        }
        return false
    }
}

/// One source's partial result by (local group, slot). Rows of a series come sorted by bucket,
/// so a group's next row usually falls in the slot of its last one: each group's last slot is
/// checked before the index (for ``Every/total``, always a hit).
struct LocalAccumulator {
    private(set) var keys: [Aggregator.LocalKey] = []
    private(set) var cells: [RollupCell] = []
    private var index = LocalCellIndex()
    /// By local group (numbered from 0): the slot it last added to and that slot's cell.
    private var lastSlotOfGroup: [(slot: Int64, cell: Int)] = []

    /// Merges `cell` into the cell accumulated at `key`.
    @inline(__always)
    mutating func add(_ cell: RollupCell, at key: Aggregator.LocalKey) {
        cells[cellIndex(of: key)].merge(cell)
    }

    /// Merges each row `r` of `columns` with `rowCells[r] >= 0` into cell `rowCells[r]` (a
    /// position ``cellIndex(of:start:)`` returned), in row order; its sketch's keys are inserted
    /// one by one (nothing is built per row).
    mutating func mergeRows(of columns: borrowing SegmentReader.MetricColumns, into rowCells: [Int32]) {
        cells.withUnsafeMutableBufferPointer { cells in
            for (row, cell) in rowCells.enumerated() where cell >= 0 {
                columns.mergeRow(row, into: &cells[Int(cell)])
            }
            columns.sketches?.mergeSketches(of: rowCells, into: cells)
        }
    }

    /// The position of the cell accumulated at `key`; a cell met for the first time starts as
    /// `start(key)`.
    @inline(__always)
    mutating func cellIndex(of key: Aggregator.LocalKey, start: (Aggregator.LocalKey) -> RollupCell = { _ in RollupCell() }) -> Int {
        if key.group < lastSlotOfGroup.count, lastSlotOfGroup[key.group].slot == key.slot, lastSlotOfGroup[key.group].cell >= 0 {
            return lastSlotOfGroup[key.group].cell
        }
        let found: Int
        if let existing = index.cell(group: key.group, slot: key.slot) {
            found = existing
        } else {
            found = cells.count
            index.insert(group: key.group, slot: key.slot, cell: found)
            keys.append(key)
            cells.append(start(key))
        }
        if key.group >= lastSlotOfGroup.count {
            lastSlotOfGroup.append(contentsOf: repeatElement((slot: 0, cell: -1), count: key.group + 1 - lastSlotOfGroup.count))
        }
        lastSlotOfGroup[key.group] = (key.slot, found)
        return found
    }
}
