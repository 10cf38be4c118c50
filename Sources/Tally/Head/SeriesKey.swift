/// A series: the dimension pairs of a cell, as head string ids `[key, value, key, value, …]`
/// ordered by key id. Two events with the same dimensions have the same key.
struct SeriesKey: Hashable {
    var pairs: [UInt32]

    var pairCount: Int { pairs.count / 2 }
    func key(at i: Int) -> UInt32 { pairs[2 * i] }
    func value(at i: Int) -> UInt32 { pairs[2 * i + 1] }
}

/// A cell's address inside one metric: its series and the start of its bucket.
struct CellKey: Hashable {
    var series: UInt32
    var bucket: Int64
}

/// The cells of one metric in the head.
struct MetricRollup {
    var seriesIDs: [SeriesKey: UInt32] = [:]
    var series: [SeriesKey] = []
    var cellIDs: [CellKey: Int] = [:]
    var cellKeys: [CellKey] = []
    var cells: [RollupCell] = []

    var isEmpty: Bool { cells.isEmpty }
}
