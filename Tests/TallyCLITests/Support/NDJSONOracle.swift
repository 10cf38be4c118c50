import Foundation

/// The independent computation that `tally query` output is compared with: events read from the
/// same NDJSON file by Foundation's `JSONSerialization` (not Tally's byte scanner), aggregated by
/// brute force.
struct OracleEvent: Sendable {
    var timestamp: Int64
    var metric: String
    var unit: String?
    var dimensions: [String: String]
    var value: Double?
}

/// A query in both shapes: command-line arguments for `tally query`, and fields for the oracle.
struct QuerySpec: Sendable, CustomStringConvertible {
    var metric: String
    var filters: [(key: String, values: [String])] = []
    var groupBy: [String] = []
    /// `minute`, `hour`, `day` or `total`.
    var every = "total"
    var from: String?
    var to: String?
    var measures = ["count"]

    var description: String { arguments(database: "DB").joined(separator: " ") }

    func arguments(database: String) -> [String] {
        var arguments = ["query", database, metric]
        for filter in filters { arguments += ["--where", "\(filter.key)=\(filter.values.joined(separator: ","))"] }
        for key in groupBy { arguments += ["--by", key] }
        arguments += ["--every", every, "--measures", measures.joined(separator: ","), "--format", "json"]
        if let from { arguments += ["--from", from] }
        if let to { arguments += ["--to", to] }
        return arguments
    }

    var everyMilliseconds: Int64? {
        ["minute": 60_000, "hour": 3_600_000, "day": 86_400_000][every]
    }
}

enum NDJSONOracle {
    struct Key: Hashable, Comparable, CustomStringConvertible {
        var time: Int64?
        var dimensions: [String?]

        static func < (a: Key, b: Key) -> Bool {
            if a.time != b.time { return (a.time ?? .min) < (b.time ?? .min) }
            for (x, y) in zip(a.dimensions, b.dimensions) where x != y {
                guard let x else { return true }
                guard let y else { return false }
                return x < y
            }
            return false
        }

        var description: String { "time \(time.map(String.init) ?? "-") dims \(dimensions)" }
    }

    struct Row {
        var count = 0
        var valueCount = 0
        var sum = 0.0
        var min: Double?
        var max: Double?
        var units: Set<String> = []
    }

    /// Every non-blank line of `path`, parsed with `JSONSerialization`.
    static func events(inFile path: String) throws -> [OracleEvent] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try events(inLines: text.split(separator: "\n").map(String.init))
    }

    static func events(inLines lines: [String]) throws -> [OracleEvent] {
        try lines.filter { !$0.allSatisfy(\.isWhitespace) }.map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return OracleEvent(
                timestamp: (object["ts"] as! NSNumber).int64Value, metric: object["metric"] as! String,
                unit: object["unit"] as? String, dimensions: object["dims"] as? [String: String] ?? [:],
                value: exactDouble(object["value"]))
        }
    }

    /// A number from `JSONSerialization` as the nearest `Double` to its decimal text. (On Linux
    /// `JSONSerialization` returns many fractions as `NSDecimalNumber`, whose `doubleValue` may be
    /// off by a unit in the last place; its `stringValue` keeps the digits.)
    static func exactDouble(_ value: Any?) -> Double? {
        (value as? NSNumber).flatMap { Double($0.stringValue) }
    }

    /// The rows `spec` should produce over `events`, in a database of bucket `bucket` ms.
    /// Same rule as the engine: an event counts when its bucket starts in [from, to).
    static func answer(_ spec: QuerySpec, events: [OracleEvent], bucket: Int64 = 3_600_000) -> [Key: Row] {
        let from = spec.from.map(parseTime)
        let to = spec.to.map(parseTime)
        var rows: [Key: Row] = [:]
        for event in events where event.metric == spec.metric {
            let bucketStart = floorToGrid(event.timestamp, bucket)
            if let from, bucketStart < from { continue }
            if let to, bucketStart >= to { continue }
            let matches = spec.filters.allSatisfy { filter in
                event.dimensions[filter.key].map(filter.values.contains) ?? false
            }
            guard matches else { continue }
            let key = Key(
                time: spec.everyMilliseconds.map { floorToGrid(bucketStart, $0) },
                dimensions: spec.groupBy.map { event.dimensions[$0] })
            var row = rows[key, default: Row()]
            row.count += 1
            if let value = event.value {
                row.valueCount += 1
                row.sum += value
                row.min = Swift.min(row.min ?? value, value)
                row.max = Swift.max(row.max ?? value, value)
            }
            if let unit = event.unit { row.units.insert(unit) }
            rows[key] = row
        }
        return rows
    }

    /// Differences between `tally query --format json` lines and the oracle (empty when equal):
    /// counts, extremes and row order exactly; sums and means to 1e-9 relative; units within 2%.
    static func mismatches(jsonLines: [String], spec: QuerySpec, expected: [Key: Row]) -> [String] {
        var problems: [String] = []
        var keys: [Key] = []
        for line in jsonLines {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let dims = object["dims"] as? [String: Any]
            else {
                problems.append("not a JSON row: \(line)")
                continue
            }
            let key = Key(
                time: (object["time"] as? NSNumber)?.int64Value,
                dimensions: spec.groupBy.map { dims[$0] as? String })
            keys.append(key)
            if Set(object.keys) != Set(["dims"] + spec.measures + (spec.everyMilliseconds == nil ? [] : ["time"])) {
                problems.append("\(key): unexpected members \(object.keys.sorted())")
            }
            guard let want = expected[key] else {
                problems.append("unexpected row \(key)")
                continue
            }
            func number(_ name: String) -> Double? { (object[name] as? NSNumber)?.doubleValue }
            func close(_ a: Double?, _ b: Double?) -> Bool {
                guard let a, let b else { return a == nil && b == nil }
                return abs(a - b) <= 1e-9 * Swift.max(1, abs(b))
            }
            for measure in spec.measures {
                switch measure {
                case "count" where number("count") != Double(want.count):
                    problems.append("\(key): count \(String(describing: object["count"])) != \(want.count)")
                case "sum" where !close(number("sum"), want.sum):
                    problems.append("\(key): sum \(String(describing: object["sum"])) != \(want.sum)")
                case "min" where number("min") != want.min:
                    problems.append("\(key): min \(String(describing: object["min"])) != \(String(describing: want.min))")
                case "max" where number("max") != want.max:
                    problems.append("\(key): max \(String(describing: object["max"])) != \(String(describing: want.max))")
                case "mean" where !close(number("mean"), want.valueCount == 0 ? nil : want.sum / Double(want.valueCount)):
                    problems.append("\(key): mean \(String(describing: object["mean"])) is wrong")
                case "units":
                    let exact = Double(want.units.count)
                    if abs((number("units") ?? -1) - exact) > Swift.max(0.02 * exact, 1) {
                        problems.append("\(key): units \(String(describing: object["units"])) vs exact \(exact)")
                    }
                default: break
                }
            }
        }
        if keys != expected.keys.sorted() {
            let missing = Set(expected.keys).subtracting(keys)
            problems.append("rows differ in order or presence; missing: \(missing.sorted().prefix(5))")
        }
        return problems
    }

    /// Floors to the engine's grid (origin 1970-01-05T00:00Z, a Monday; format-spec.md).
    static func floorToGrid(_ value: Int64, _ width: Int64) -> Int64 {
        let origin: Int64 = 345_600_000
        let shifted = value - origin
        let index = shifted >= 0 ? shifted / width : (shifted - width + 1) / width
        return index * width + origin
    }

    /// Epoch ms or `YYYY-MM-DD[THH:MM:SSZ]`, parsed with Foundation (independent of the CLI's parser).
    static func parseTime(_ text: String) -> Int64 {
        if let milliseconds = Int64(text) { return milliseconds }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = text.count == 10 ? [.withFullDate] : [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return Int64(formatter.date(from: text)!.timeIntervalSince1970 * 1000)
    }
}
