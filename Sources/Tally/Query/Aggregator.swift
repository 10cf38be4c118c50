/// Merges cells into query rows keyed by (time slot, group values).
///
/// Sources (the head, each segment) first map each of their series to a local group, once per
/// series; rows then accumulate by (local group, slot) and are merged into the global result
/// per local group, so per-row work is one small hash lookup. Global groups are tuples of
/// interned string ids (``group(forKey:)``), and global cells sit in an array found by
/// (group, slot) through an open-addressing index: a query with many groups (every dimension of
/// a month, 800 000 rows) hashed a `[String?]` per cell and source in a `Dictionary` before.
struct Aggregator {
    let query: Query
    /// Width of a time slot; `nil` for ``Every/total``.
    let slotWidth: Int64?
    let from: Int64
    let to: Int64
    let wantsUnits: Bool
    private(set) var coarsestBucket: Int64 = 0

    /// Group values met so far, by id.
    private var strings = StringTable()
    /// Global groups: per group-by key, the value's string id, or ``missing``.
    private var groups = SeriesIndex()
    private var cellIndex = LocalCellIndex()
    private var cellKeys: [LocalKey] = []
    private var cells: [RollupCell] = []
    /// Per cell: whether a source has taken it (``takeCell(group:slot:)``) and not merged it back.
    private var taken: [Bool] = []

    /// The word for a series without the group-by key.
    static let missing = UInt64.max

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

    /// The id of a group value.
    mutating func intern(_ string: String) -> UInt32 { strings.intern(string) }

    /// The global group whose key (per group-by key, an ``intern(_:)`` id or ``missing``) is `key`.
    mutating func group(forKey key: UnsafeBufferPointer<UInt64>) -> Int {
        Int(groups.insert(key).id)
    }

    /// The global group of `values` (per group-by key, `nil` where a series lacks it).
    mutating func group(for values: [String?]) -> Int {
        let key = values.map { $0.map { UInt64(intern($0)) } ?? Self.missing }
        return key.withUnsafeBufferPointer { group(forKey: $0) }
    }

    /// The values of global group `group`, `nil` where its series lack the key.
    func values(of group: Int) -> [String?] {
        groups[group].packedPairs.map { $0 == Self.missing ? nil : strings[UInt32($0)] }
    }

    /// The position of the cell at (`group`, `slot`), added empty if new.
    @inline(__always)
    private mutating func position(group: Int, slot: Int64) -> (position: Int, isNew: Bool) {
        if let found = cellIndex.cell(group: group, slot: slot) { return (found, false) }
        cellIndex.insert(group: group, slot: slot, cell: cells.count)
        cellKeys.append(LocalKey(group: group, slot: slot))
        cells.append(RollupCell())
        taken.append(false)
        return (cells.count - 1, true)
    }

    /// Merges the partial result of one source: `local[(group, slot)]` into global group
    /// `globalGroups[group]`.
    mutating func merge(_ local: LocalAccumulator, globalGroups: [Int], bucketWidth: Int64) {
        guard !local.cells.isEmpty else { return }
        coarsestBucket = max(coarsestBucket, bucketWidth)
        for (key, cell) in zip(local.keys, local.cells) {
            let (position, isNew) = position(group: globalGroups[key.group], slot: key.slot)
            if isNew || taken[position] {
                cells[position] = cell  // a cell taken out by `takeCell` comes back whole
                taken[position] = false
            } else {
                cells[position].merge(cell)
            }
        }
    }

    /// Takes out and returns the cell accumulated at (`group`, `slot`) (empty if none), for a
    /// source to go on accumulating into; ``merge(_:globalGroups:bucketWidth:)`` puts it back.
    /// The source must take each cell at most once before merging.
    mutating func takeCell(group: Int, slot: Int64) -> RollupCell {
        let position = position(group: group, slot: slot).position
        taken[position] = true
        return cells[position]
    }

    /// Merges another partial result of the same query (a parallel scan's other lane).
    mutating func merge(_ other: Aggregator) {
        coarsestBucket = max(coarsestBucket, other.coarsestBucket)
        let stringMap = other.strings.strings.map { UInt64(intern($0)) }
        var key: [UInt64] = []
        let groupMap = (0..<other.groups.count).map { group -> Int in
            key = other.groups[group].packedPairs.map { $0 == Self.missing ? $0 : stringMap[Int($0)] }
            return key.withUnsafeBufferPointer { self.group(forKey: $0) }
        }
        for (cellKey, cell) in zip(other.cellKeys, other.cells) {
            let (position, isNew) = position(group: groupMap[cellKey.group], slot: cellKey.slot)
            if isNew { cells[position] = cell } else { cells[position].merge(cell) }
        }
    }

    struct LocalKey: Hashable {
        var group: Int
        var slot: Int64
    }

    func result() -> QueryResult {
        let groupValues = (0..<groups.count).map(values(of:))
        // Rows in ``rowOrder``: groups ranked once by their values (strings ranked first), then
        // cells sorted by (slot, group rank) as integers, not as rows of strings.
        let values = strings.strings
        let stringRank = ranks(of: values.indices) { values[$0] < values[$1] }
        let groupKeys = (0..<groups.count).map { group in
            groups[group].packedPairs.map { $0 == Self.missing ? -1 : stringRank[Int($0)] }
        }
        let groupRank = ranks(of: groupKeys.indices) { groupKeys[$0].lexicographicallyPrecedes(groupKeys[$1]) }
        let order = cellKeys.indices.sorted { a, b in
            let (x, y) = (cellKeys[a], cellKeys[b])
            return x.slot != y.slot ? x.slot < y.slot : groupRank[x.group] < groupRank[y.group]
        }
        let rows = order.map { index in
            let (key, cell) = (cellKeys[index], cells[index])
            return QueryRow(
                time: slotWidth == nil ? nil : key.slot, dimensions: groupValues[key.group], count: cell.count,
                valueCount: cell.valueCount, sum: cell.total,
                min: cell.valueCount > 0 ? cell.min : nil, max: cell.valueCount > 0 ? cell.max : nil,
                units: wantsUnits ? (cell.units?.estimate() ?? 0) : nil)
        }
        return QueryResult(
            groupBy: query.groupBy, measures: query.measures.sorted(), rows: rows, unitsAreEstimates: wantsUnits,
            coarsestBucketMilliseconds: coarsestBucket)
    }

    /// Each index's position when `indices` are sorted by `precedes` (distinct elements).
    private func ranks(of indices: Range<Int>, by precedes: (Int, Int) -> Bool) -> [Int] {
        var rank = [Int](repeating: 0, count: indices.count)
        for (position, index) in indices.sorted(by: precedes).enumerated() { rank[index] = position }
        return rank
    }

    /// Time, then dimension values with `nil` first: the order of ``result()``'s rows.
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
