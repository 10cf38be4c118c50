import ArgumentParser
import Tally

/// `tally info DB`: options, sizes, time range, partitions, segments and metrics.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a database's options, sizes, time range, partitions, segments and metrics.")

    @Argument(help: "The database file.")
    var database: String

    @Option(help: "table or json.")
    var format: DisplayFormat = .table

    func run() throws {
        // The experiment state is loaded to report its size (it is what grows with the data).
        let database = try DatabaseOpening.readOnly(database)
        let info = try database.info()
        try database.close()
        switch format {
        case .table: print(InfoOutput.table(info))
        case .json: print(InfoOutput.json(info).serialized)
        }
    }
}

enum InfoOutput {
    static func table(_ info: DatabaseInfo) -> String {
        let segmentBytes = info.segments.reduce(0) { $0 + $1.length }
        let segmentRawBytes = info.segments.reduce(0) { $0 + $1.rawBytes }
        let segmentRows = info.segments.reduce(0) { $0 + $1.rows }
        var fields: [(String, String)] = [
            ("path", info.path),
            ("format", "version \(info.formatVersion), created \(TimeArgument.format(info.createdAt))"),
            ("bucket", info.bucket.rawValue),
            ("partition", info.partition.rawValue),
            ("retention", info.retentionMilliseconds.map(describeDuration) ?? "keep everything"),
            ("dedupe window", describeDuration(info.dedupeWindowMilliseconds)),
            ("experiments", "metric \(info.exposureMetric), dimensions \(info.experimentDimension)/\(info.variantDimension)"),
            ("file", "\(info.fileBytes) bytes (generation \(info.generation))"),
            ("write-ahead log", "\(info.walBytes) bytes"),
            ("events ingested", String(info.eventsIngested)),
            ("time range", info.timeRange.map { "\(TimeArgument.format($0.lowerBound)) ..< \(TimeArgument.format($0.upperBound))" } ?? "(empty)"),
            ("segments", "\(info.segments.count), \(segmentRows) rows, \(segmentBytes) bytes, compression \(ratio(segmentRawBytes, segmentBytes))"),
            ("in memory", "\(info.headEvents) events in \(info.headCells) cells, about \(info.headBytes) bytes"),
            ("batch ids", "\(info.rememberedBatchIDs) remembered"),
            ("experiment state", "\(info.experimentAssignments) assignments (exposed units, summed over experiments)"),
        ]
        if let horizon = info.retentionHorizon {
            fields.insert(("retention horizon", TimeArgument.format(horizon)), at: 5)
        }
        var sections = [renderFields(fields)]

        var partitions = TableRenderer([
            ("partition", .left), ("segments", .right), ("rows", .right), ("events", .right), ("bytes", .right),
            ("compression", .right),
        ])
        for partition in info.partitions {
            partitions.append([
                TimeArgument.format(partition.start), String(partition.segments), String(partition.rows),
                String(partition.events), String(partition.bytes), ratio(partition.rawBytes, partition.bytes),
            ])
        }
        sections.append("partitions (\(info.partitions.count)):\n" + partitions.rendered)

        var metrics = TableRenderer([("metric", .left), ("series", .right), ("rows", .right), ("events", .right)])
        for metric in info.metrics {
            metrics.append([metric.name, String(metric.series), String(metric.rows), String(metric.events)])
        }
        sections.append("metrics (\(info.metrics.count)):\n" + metrics.rendered)
        return sections.joined(separator: "\n\n")
    }

    static func json(_ info: DatabaseInfo) -> JSONValue {
        .object([
            ("path", .string(info.path)),
            ("format_version", .integer(Int64(info.formatVersion))),
            ("created_at", .integer(info.createdAt)),
            ("options", .object([
                ("bucket", .string(info.bucket.rawValue)),
                ("partition", .string(info.partition.rawValue)),
                ("retention_ms", .optional(info.retentionMilliseconds)),
                ("dedupe_window_ms", .integer(info.dedupeWindowMilliseconds)),
                ("exposure_metric", .string(info.exposureMetric)),
                ("experiment_dimension", .string(info.experimentDimension)),
                ("variant_dimension", .string(info.variantDimension)),
            ])),
            ("file_bytes", .unsigned(info.fileBytes)),
            ("wal_bytes", .unsigned(info.walBytes)),
            ("generation", .unsigned(info.generation)),
            ("events_ingested", .unsigned(info.eventsIngested)),
            ("time_range", info.timeRange.map { .object([("from", .integer($0.lowerBound)), ("to", .integer($0.upperBound))]) } ?? .null),
            ("retention_horizon", .optional(info.retentionHorizon)),
            ("partitions", .array(info.partitions.map { partition in
                .object([
                    ("start", .integer(partition.start)), ("end", .integer(partition.end)),
                    ("segments", .integer(Int64(partition.segments))), ("rows", .unsigned(partition.rows)),
                    ("events", .unsigned(partition.events)), ("bytes", .unsigned(partition.bytes)),
                    ("raw_bytes", .unsigned(partition.rawBytes)), ("compression_ratio", .number(partition.compressionRatio)),
                ])
            })),
            ("segments", .object([
                ("count", .integer(Int64(info.segments.count))),
                ("rows", .unsigned(info.segments.reduce(0) { $0 + $1.rows })),
                ("events", .unsigned(info.segments.reduce(0) { $0 + $1.events })),
                ("bytes", .unsigned(info.segments.reduce(0) { $0 + $1.length })),
                ("raw_bytes", .unsigned(info.segments.reduce(0) { $0 + $1.rawBytes })),
            ])),
            ("metrics", .array(info.metrics.map { metric in
                .object([
                    ("name", .string(metric.name)), ("series", .integer(Int64(metric.series))),
                    ("rows", .unsigned(metric.rows)), ("events", .unsigned(metric.events)),
                ])
            })),
            ("head", .object([
                ("events", .integer(Int64(info.headEvents))), ("cells", .integer(Int64(info.headCells))),
                ("bytes", .integer(Int64(info.headBytes))),
            ])),
            ("remembered_batch_ids", .integer(Int64(info.rememberedBatchIDs))),
            ("experiment_assignments", .unsigned(info.experimentAssignments)),
        ])
    }

    /// Bytes before compression over bytes on disk, e.g. `4.2x`; `-` when nothing is stored.
    static func ratio(_ raw: UInt64, _ stored: UInt64) -> String {
        stored == 0 ? "-" : formatNumber(Double(raw) / Double(stored), decimals: 1) + "x"
    }
}

/// `7d`, `12h`, `30m`, or milliseconds when not a whole number of minutes.
func describeDuration(_ milliseconds: Int64) -> String {
    for (unit, width) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000)] where milliseconds % width == 0 {
        return "\(milliseconds / width)\(unit)"
    }
    return "\(milliseconds) ms"
}
