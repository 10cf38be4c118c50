/// A query's filters and group-by keys resolved to one source's string ids (a segment's
/// dictionary indices, or the head's string table), so that matching a series compares
/// integers instead of strings.
struct SeriesMatcher {
    /// Filter key id → accepted value ids, sorted (filters name few values: a binary search
    /// beats hashing).
    private var filters: [(key: Int32, accepted: [Int32])] = []
    /// Group-by key id → position in the group values.
    private var groupKeys: [(key: Int32, position: Int)] = []
    let groupCount: Int
    /// False when some filter can match nothing in this source.
    private(set) var canMatch = true
    /// True when every series falls in the same group (no filters, no group-by).
    let matchesAllIntoOneGroup: Bool

    init(query: Query, id: (String) -> Int32?) {
        groupCount = query.groupBy.count
        matchesAllIntoOneGroup = query.filters.isEmpty && query.groupBy.isEmpty
        for (key, values) in query.filters {
            guard let keyID = id(key) else {
                canMatch = false
                continue
            }
            let accepted = Set(values.compactMap(id)).sorted()
            if accepted.isEmpty { canMatch = false }
            filters.append((keyID, accepted))
        }
        for (position, key) in query.groupBy.enumerated() {
            if let keyID = id(key) { groupKeys.append((keyID, position)) }
        }
    }

    /// The id of the query's one group-by key, when it has no filters and exactly one group-by
    /// key that this source knows: a series' group is then its value of that key (-1 without).
    var soleGroupKey: Int32? {
        filters.isEmpty && groupCount == 1 && groupKeys.count == 1 ? groupKeys[0].key : nil
    }

    /// Sets `group` to the group value ids (-1 for a missing key) of a series given as parallel
    /// key and value ids; returns false, leaving `group` unspecified, when a filter rejects it.
    /// Reusing `group` from series to series allocates nothing.
    @inline(__always)
    func groupValues<K: Collection, V: Collection>(keys: K, values: V, into group: inout [Int32]) -> Bool
    where K.Element == Int32, V.Element == Int32 {
        if group.count != groupCount { group = [Int32](repeating: -1, count: groupCount) }
        for position in group.indices { group[position] = -1 }
        var matched = 0
        for (key, value) in zip(keys, values) {
            for filter in filters where filter.key == key {
                guard Self.contains(filter.accepted, value) else { return false }
                matched += 1
            }
            for entry in groupKeys where entry.key == key { group[entry.position] = value }
        }
        return matched == filters.count
    }

    @inline(__always)
    private static func contains(_ sorted: [Int32], _ value: Int32) -> Bool {
        var low = 0, high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low < sorted.count && sorted[low] == value
    }
}
