@testable import Tally

/// Brute-force answers computed directly from raw events: the independent computation that
/// query results are compared with.
enum Oracle {
    struct Expected: Equatable {
        var count: UInt64 = 0
        var valueCount: UInt64 = 0
        var sum: Double = 0
        var min: Double?
        var max: Double?
        var units: Set<String> = []
    }

    struct Key: Hashable {
        var time: Int64?
        var dimensions: [String?]
    }

    /// Same rule as the engine: an event counts when its bucket starts in [from, to).
    static func answer(_ query: Query, events: [Event], bucket: Int64) -> [Key: Expected] {
        answer(query, events: events, bucketOf: { _ in bucket })
    }

    /// Floors to the engine's grid (origin 1970-01-05, a Monday).
    static func floorDiv(_ value: Int64, _ width: Int64) -> Int64 {
        let origin: Int64 = 345_600_000
        let shifted = value - origin
        let index = shifted >= 0 ? shifted / width : (shifted - width + 1) / width
        return index * width + origin
    }

    /// Compares a query result with the oracle; returns human-readable mismatches (empty when equal).
    /// Sums are compared with a relative tolerance (addition order differs); units within 2%.
    static func mismatches(_ result: QueryResult, _ expected: [Key: Expected]) -> [String] {
        var problems: [String] = []
        var seen = Set<Key>()
        for row in result.rows {
            let key = Key(time: row.time, dimensions: row.dimensions)
            seen.insert(key)
            guard let want = expected[key] else {
                problems.append("unexpected row \(key)")
                continue
            }
            if row.count != want.count { problems.append("\(key): count \(row.count) != \(want.count)") }
            if row.valueCount != want.valueCount { problems.append("\(key): valueCount \(row.valueCount) != \(want.valueCount)") }
            if abs(row.sum - want.sum) > 1e-9 * Swift.max(1, abs(want.sum)) { problems.append("\(key): sum \(row.sum) != \(want.sum)") }
            if row.min != want.min { problems.append("\(key): min \(String(describing: row.min)) != \(String(describing: want.min))") }
            if row.max != want.max { problems.append("\(key): max \(String(describing: row.max)) != \(String(describing: want.max))") }
            if let units = row.units {
                let exact = Double(want.units.count)
                if abs(units - exact) > Swift.max(0.02 * exact, 0.5) { problems.append("\(key): units \(units) vs exact \(exact)") }
            }
        }
        for key in expected.keys where !seen.contains(key) { problems.append("missing row \(key)") }
        return problems
    }
}

extension Oracle {
    /// The oracle with a bucket width per event (downsampled partitions): an event counts when its
    /// bucket starts in [from, to); with `every` finer than its bucket it is reported at the
    /// bucket's start, as the engine does.
    static func answer(_ query: Query, events: [Event], bucketOf: (Int64) -> Int64) -> [Key: Expected] {
        var result: [Key: Expected] = [:]
        for event in events where event.metric == query.metric {
            let width = bucketOf(event.timestamp)
            let bucketStart = floorDiv(event.timestamp, width)
            if let from = query.from, bucketStart < from { continue }
            if let to = query.to, bucketStart >= to { continue }
            guard query.filters.allSatisfy({ key, values in event.dimensions[key].map(values.contains) ?? false })
            else { continue }
            var time: Int64?
            if case .milliseconds(let every) = query.every {
                time = width > every ? bucketStart : floorDiv(bucketStart, every)
            }
            let key = Key(time: time, dimensions: query.groupBy.map { event.dimensions[$0] })
            var entry = result[key, default: Expected()]
            entry.count += 1
            if let value = event.value {
                entry.valueCount += 1
                entry.sum += value
                entry.min = Swift.min(entry.min ?? value, value)
                entry.max = Swift.max(entry.max ?? value, value)
            }
            if let unit = event.unit { entry.units.insert(unit) }
            result[key] = entry
        }
        return result
    }
}
