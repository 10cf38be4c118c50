import ArgumentParser
import Tally

/// `tally query DB METRIC …`: one group-by question, answered from a read-only handle.
struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Count, sum and estimate distinct units of one metric, grouped and filtered.",
        discussion: """
            Repeating --where with the same key keeps the values both give. A row is in [--from, \
            --to) when its bucket starts in it. Units are HyperLogLog estimates (relative error \
            under 2%). JSON output is one object per row, sorted by time then dimension values \
            (no "time" with --every total):
            {"time":<bucket start, epoch ms>,"dims":{"KEY":"VALUE"|null,…},"count":…,…}
            """
    )

    @Argument(help: "The database file.")
    var database: String

    @Argument(help: "The metric to query, e.g. pageview.")
    var metric: String

    @Option(name: .customLong("where"), help: "Keep events whose KEY is one of the values: KEY=VALUE[,VALUE…]. Repeatable.")
    var filters: [String] = []

    @Option(name: .customLong("by"), help: "Group by this dimension key. Repeatable; columns follow the order given.")
    var groupBy: [String] = []

    @Option(help: "Row time resolution: minute, hour, day or total.")
    var every: EveryArgument = .total

    @Option(help: "Inclusive start: \(TimeArgument.help).", transform: TimeArgument.parse)
    var from: Int64?

    @Option(help: "Exclusive end: \(TimeArgument.help).", transform: TimeArgument.parse)
    var to: Int64?

    @Option(help: "Comma-separated: count, sum, min, max, mean, units.", transform: MeasureList.parse)
    var measures: [Measure] = [.count]

    @Option(help: "table, json or csv.")
    var format: RowFormat = .table

    func run() throws {
        let query = Query(
            metric: metric, filters: try FilterArgument.parse(filters), groupBy: groupBy, every: every.every,
            from: from, to: to, measures: Set(measures))
        let database = try DatabaseOpening.readOnly(database, experiments: false)
        let result = try database.query(query)
        try database.close()
        switch format {
        case .table: print(QueryOutput.table(result, every: every.every))
        case .json: for row in result.rows { print(QueryOutput.json(row, of: result).serialized) }
        case .csv: QueryOutput.csv(result, every: every.every).forEach { print($0) }
        }
    }
}

enum EveryArgument: String, CaseIterable, ExpressibleByArgument {
    case minute, hour, day, total

    var every: Every {
        switch self {
        case .minute: .minute
        case .hour: .hour
        case .day: .day
        case .total: .total
        }
    }
}

/// `--measures count,units`.
enum MeasureList {
    @Sendable
    static func parse(_ text: String) throws -> [Measure] {
        var measures: [Measure] = []
        for name in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let measure = Measure(rawValue: String(name)) else {
                let known = Measure.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("unknown measure '\(name)': use \(known)")
            }
            if !measures.contains(measure) { measures.append(measure) }
        }
        return measures
    }
}

/// `--where KEY=VALUE[,VALUE…]`, repeatable; a key given twice keeps the values common to both.
enum FilterArgument {
    static func parse(_ arguments: [String]) throws -> [String: Set<String>] {
        var filters: [String: Set<String>] = [:]
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw ValidationError("--where needs KEY=VALUE[,VALUE…], got '\(argument)'")
            }
            let key = String(argument[..<equals])
            let values = Set(argument[argument.index(after: equals)...]
                .split(separator: ",", omittingEmptySubsequences: false).map(String.init))
            filters[key] = filters[key].map { $0.intersection(values) } ?? values
        }
        return filters
    }
}
