import ArgumentParser
import Tally

/// `tally dump DB (--segments | --wal | --rows …)`: the stored structures, read-only, so it works
/// while another process writes. JSON output is one object per line; `--wal` ends with a line
/// `{"ending":…}` saying how the log ends (clean, torn tail, corrupt).
struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "List segments, write-ahead log records or stored rows (read-only).",
        usage: "tally dump <database> (--segments | --wal | --rows [--metric <metric>] [--partition <time>]) [--format table|json]")

    @Argument(help: "The database file.")
    var database: String

    @Flag(help: "What to list.")
    var listing: Listing

    @Option(help: "With --rows: only this metric.")
    var metric: String?

    @Option(help: "With --rows: only the partition containing this time (\(TimeArgument.help)).", transform: TimeArgument.parse)
    var partition: Int64?

    @Option(help: "table or json.")
    var format: DisplayFormat = .table

    func validate() throws {
        if listing != .rows, metric != nil || partition != nil {
            throw ValidationError("--metric and --partition go with --rows")
        }
    }

    func run() throws {
        let database = try DatabaseOpening.readOnly(database, experiments: false)
        defer { try? database.close() }
        switch listing {
        case .segments:
            try DumpOutput.segments(try database.info().segments, format: format)
        case .wal:
            let (records, ending) = try database.walRecords()
            DumpOutput.wal(records, ending: ending, format: format)
        case .rows:
            try DumpOutput.rows(of: database, metric: metric, partition: partition, format: format)
        }
    }

    enum Listing: String, EnumerableFlag {
        case segments, wal, rows

        static func help(for value: Listing) -> ArgumentHelp? {
            switch value {
            case .segments: "List the segments in the catalog."
            case .wal: "List the write-ahead log's records as they are on disk."
            case .rows: "List stored rollup rows: segments first, then the in-memory head."
            }
        }
    }
}

enum DumpOutput {
    static func segments(_ segments: [SegmentSummary], format: DisplayFormat) throws {
        switch format {
        case .json:
            for segment in segments {
                print(JSONValue.object([
                    ("id", .unsigned(segment.id)), ("offset", .unsigned(segment.offset)),
                    ("length", .unsigned(segment.length)), ("partition", .integer(segment.partitionStart)),
                    ("bucket_ms", .integer(segment.bucketMilliseconds)), ("min_time", .integer(segment.minTime)),
                    ("max_time", .integer(segment.maxTime)), ("rows", .unsigned(segment.rows)),
                    ("events", .unsigned(segment.events)), ("raw_bytes", .unsigned(segment.rawBytes)),
                    ("metrics", .array(segment.metrics.map(JSONValue.string))),
                ]).serialized)
            }
        case .table:
            var table = TableRenderer([
                ("id", .right), ("offset", .right), ("bytes", .right), ("partition", .left), ("bucket", .left),
                ("first bucket", .left), ("last bucket", .left), ("rows", .right), ("events", .right),
                ("compression", .right), ("metrics", .left),
            ])
            for segment in segments {
                table.append([
                    String(segment.id), String(segment.offset), String(segment.length),
                    TimeArgument.format(segment.partitionStart), describeWidth(segment.bucketMilliseconds),
                    TimeArgument.format(segment.minTime), TimeArgument.format(segment.maxTime), String(segment.rows),
                    String(segment.events), InfoOutput.ratio(segment.rawBytes, segment.length),
                    segment.metrics.joined(separator: ","),
                ])
            }
            print(table.rendered)
            print("\(segments.count) segments")
        }
    }

    static func wal(_ records: [WALRecordSummary], ending: String, format: DisplayFormat) {
        switch format {
        case .json:
            for record in records {
                print(JSONValue.object([
                    ("offset", .unsigned(record.offset)), ("type", .string(record.type)),
                    ("has_batch_id", .bool(record.hasBatchID)), ("ingest_time", .optional(record.ingestTime)),
                    ("events", .integer(Int64(record.events))), ("payload_bytes", .integer(Int64(record.payloadBytes))),
                ]).serialized)
            }
            print(JSONValue.object([("ending", .string(ending))]).serialized)
        case .table:
            var table = TableRenderer([
                ("offset", .right), ("type", .left), ("batch id", .left), ("ingested", .left), ("events", .right),
                ("bytes", .right),
            ])
            for record in records {
                table.append([
                    String(record.offset), record.type, record.hasBatchID ? "yes" : "no",
                    record.ingestTime.map(TimeArgument.format) ?? "-", String(record.events), String(record.payloadBytes),
                ])
            }
            print(table.rendered)
            print("\(records.count) records; the log ends: \(ending)")
        }
    }

    static func rows(of database: Tally, metric: String?, partition: Int64?, format: DisplayFormat) throws {
        var count = 0
        switch format {
        case .json:
            try database.forEachRow(metric: metric, partition: partition) { row in
                count += 1
                print(JSONValue.object([
                    ("source", .string(row.source)), ("metric", .string(row.metric)),
                    ("partition", .integer(row.partitionStart)), ("time", .integer(row.bucket)),
                    ("bucket_ms", .integer(row.bucketMilliseconds)),
                    ("dims", .object(row.dimensions.map { ($0.key, .string($0.value)) })),
                    ("count", .unsigned(row.count)), ("value_count", .unsigned(row.valueCount)),
                    ("sum", .number(row.sum)), ("min", .optional(row.min)), ("max", .optional(row.max)),
                    ("units", .integer(Int64(row.units.rounded()))),
                ]).serialized)
            }
        case .table:
            // Rows stream out as they are read, so column widths are fixed rather than measured.
            func line(_ cells: [String]) -> String {
                padded(cells[0], 12) + " " + padded(cells[1], 20) + " " + padded(cells[2], 20) + " "
                    + leftPadded(cells[3], 8) + " " + leftPadded(cells[4], 8) + " " + leftPadded(cells[5], 12) + " "
                    + leftPadded(cells[6], 8) + "  " + cells[7]
            }
            print(line(["source", "metric", "bucket", "count", "values", "sum", "units", "dims"]))
            try database.forEachRow(metric: metric, partition: partition) { row in
                count += 1
                print(line([
                    row.source, row.metric, TimeArgument.format(row.bucket), String(row.count), String(row.valueCount),
                    formatNumber(row.sum), formatUnits(row.units),
                    row.dimensions.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
                ]))
            }
            print("\(count) rows")
        }
    }

    private static func padded(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private static func leftPadded(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
