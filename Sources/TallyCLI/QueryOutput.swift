import Tally

/// The three renderings of a ``QueryResult``. Columns: `time` (unless `--every total`), one per
/// group-by key, one per requested measure in canonical order (count, sum, min, max, mean, units).
enum QueryOutput {
    static func table(_ result: QueryResult, every: Every) -> String {
        var columns: [(String, TableRenderer.Alignment)] = []
        if case .milliseconds = every { columns.append(("time", .left)) }
        columns += result.groupBy.map { ($0, .left) }
        columns += result.measures.map { ($0.rawValue, .right) }
        var table = TableRenderer(columns)
        for row in result.rows {
            var cells = row.time.map { [TimeArgument.format($0)] } ?? []
            cells += row.dimensions.map { $0 ?? "(none)" }
            cells += result.measures.map { text(of: $0, in: row) }
            table.append(cells)
        }
        var lines = [table.rendered]
        if result.rows.isEmpty { lines.append("(no rows)") }
        if result.unitsAreEstimates {
            lines.append("note: units are HyperLogLog estimates (relative error under 2%), not exact counts")
        }
        if case .milliseconds(let width) = every, result.coarsestBucketMilliseconds > width {
            lines.append(
                "note: some rows are at a coarser bucket (\(describeWidth(result.coarsestBucketMilliseconds))) "
                    + "than --every (\(describeWidth(width))): their partitions were downsampled")
        }
        return lines.joined(separator: "\n")
    }

    /// `{"time":…,"dims":{…},"count":…,…}`; `time` only when the row has one.
    static func json(_ row: QueryRow, of result: QueryResult) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if let time = row.time { members.append(("time", .integer(time))) }
        let dims = zip(result.groupBy, row.dimensions).map { key, value in (key, JSONValue.optional(value)) }
        members.append(("dims", .object(dims)))
        for measure in result.measures { members.append((measure.rawValue, json(of: measure, in: row))) }
        return .object(members)
    }

    /// A header row, then one line per row; times in epoch ms; a missing value is an empty field.
    static func csv(_ result: QueryResult, every: Every) -> [String] {
        var header: [String] = []
        if case .milliseconds = every { header.append("time") }
        header += result.groupBy + result.measures.map(\.rawValue)
        var lines = [header.map(csvField).joined(separator: ",")]
        for row in result.rows {
            var cells = row.time.map { [String($0)] } ?? []
            cells += row.dimensions.map { $0 ?? "" }
            cells += result.measures.map { measure in
                switch json(of: measure, in: row) {
                case .null: ""
                case let value: value.serialized
                }
            }
            lines.append(cells.map(csvField).joined(separator: ","))
        }
        return lines
    }

    private static func json(of measure: Measure, in row: QueryRow) -> JSONValue {
        switch measure {
        case .count: .unsigned(row.count)
        case .sum: .number(row.sum)
        case .min: .optional(row.min)
        case .max: .optional(row.max)
        case .mean: .optional(row.mean)
        case .units: row.units.map { .integer(Int64($0.rounded())) } ?? .null
        }
    }

    private static func text(of measure: Measure, in row: QueryRow) -> String {
        switch measure {
        case .count: String(row.count)
        case .sum: formatNumber(row.sum)
        case .min: row.min.map { formatNumber($0) } ?? "-"
        case .max: row.max.map { formatNumber($0) } ?? "-"
        case .mean: row.mean.map { formatNumber($0) } ?? "-"
        case .units: row.units.map(formatUnits) ?? "-"
        }
    }
}

/// `minute`, `hour`, `day`, `week`, or a count of milliseconds.
func describeWidth(_ milliseconds: Int64) -> String {
    Granularity.allCases.first { $0.milliseconds == milliseconds }?.rawValue ?? "\(milliseconds) ms"
}
