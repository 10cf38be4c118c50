/// Decides from a row group's zones (format-spec.md, rule S7) whether any of its series can pass
/// a query's filters, so that a scan skips the other groups without decoding them.
struct ZoneFilter {
    /// Filter key's dictionary index → accepted values present in the dictionary.
    private var filters: [(key: Int, accepted: [String])] = []

    /// `index` maps the segment's dictionary strings to their positions.
    init(query: Query, index: [String: Int32]) {
        for (key, values) in query.filters {
            guard let keyIndex = index[key] else { continue }  // the matcher already rejects the segment
            filters.append((Int(keyIndex), values.filter { index[$0] != nil }))
        }
    }

    /// False only when no series of `group` can pass every filter: for some filter the group
    /// has no zone for its key, or no accepted value lies within the zone's range.
    func admits(_ group: SegmentFooter.RowGroup, dictionary: [String]) -> Bool {
        for filter in filters {
            guard let zone = group.zones.first(where: { $0.key == filter.key }) else { return false }
            let low = dictionary[zone.minValue].utf8, high = dictionary[zone.maxValue].utf8
            let inRange = filter.accepted.contains { value in
                !value.utf8.lexicographicallyPrecedes(low) && !high.lexicographicallyPrecedes(value.utf8)
            }
            guard inRange else { return false }
        }
        return true
    }
}
