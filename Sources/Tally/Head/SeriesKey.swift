/// A series: the dimension pairs of a cell as head string ids, ordered by key id. Two events
/// with the same dimensions have the same key. A view into ``SeriesIndex``'s storage.
struct SeriesKey {
    /// Each pair packed as `key << 32 | value` (``pack(key:value:)``), in increasing order.
    let packedPairs: ArraySlice<UInt64>

    var pairCount: Int { packedPairs.count }
    func key(at i: Int) -> UInt32 { UInt32(truncatingIfNeeded: packedPairs[packedPairs.startIndex + i] >> 32) }
    func value(at i: Int) -> UInt32 { UInt32(truncatingIfNeeded: packedPairs[packedPairs.startIndex + i]) }

    /// One dimension pair as a single word; sorting packed pairs orders them by key id.
    @inline(__always)
    static func pack(key: UInt32, value: UInt32) -> UInt64 { UInt64(key) << 32 | UInt64(value) }

    @inline(__always)
    static func unpack(_ pair: UInt64) -> (key: UInt32, value: UInt32) {
        (UInt32(truncatingIfNeeded: pair >> 32), UInt32(truncatingIfNeeded: pair))
    }
}

/// A cell's address inside one metric: its series and the start of its bucket.
struct CellKey: Hashable {
    var series: UInt32
    var bucket: Int64
}

/// The cells of one metric in the head. Series ids are positions in ``series``; cell ids are
/// positions in ``cellKeys`` and ``cells``.
struct MetricRollup {
    var series = SeriesIndex()
    var cellIDs = CellTable()
    var cellKeys: [CellKey] = []
    var cells: [RollupCell] = []

    var isEmpty: Bool { cells.isEmpty }
}
