import ArgumentParser
import Tally

/// `tally compact DB [--downsample AGE:BUCKET]…`: `Tally.compact` as the database's writer, with
/// a progress line on standard error (only when it is a terminal) and a summary on standard
/// output.
struct CompactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Rewrite the file: merge each partition's segments, reclaim dead space, downsample old partitions.",
        discussion: """
            Needs the writer's lock: it fails, naming the holder, while another process writes. \
            Query answers are unchanged, except that rows of downsampled partitions come at their \
            coarser bucket (tally query notes it). A crash leaves the old or the new file, both \
            complete. JSON is one object:
            {"bytes_before":N,"bytes_after":N,"segments_before":N,"segments_after":N,"partitions":N,\
            "partitions_rewritten":N,"partitions_downsampled":N,"rows_before":N,"rows_after":N}
            """)

    @Argument(help: "The database file.")
    var database: String

    @Option(
        name: .customLong("downsample"),
        help: ArgumentHelp(
            "Re-bucket partitions that ended at least AGE ago (\(DurationArgument.help)) to BUCKET (hour, day or week), e.g. 30d:day. Repeatable; the coarsest matching rule wins.",
            valueName: "age:bucket"),
        transform: DownsampleArgument.parse)
    var downsample: [DownsampleRule] = []

    @Option(help: "table or json.")
    var format: DisplayFormat = .table

    func run() throws {
        let handle = try DatabaseOpening.writer(database, for: "compact")
        defer { try? handle.close() }
        let started = ContinuousClock.now
        let result = try CompactionRunner.run(handle, downsample: downsample)
        try handle.close()
        switch format {
        case .table: print(CompactionRunner.summary(result, path: database, seconds: (ContinuousClock.now - started).seconds))
        case .json: print(CompactionRunner.json(result).serialized)
        }
    }
}

/// Compaction with a progress line, shared by `tally compact` and `tally retention --compact`.
enum CompactionRunner {
    static func run(_ handle: Tally, downsample: [DownsampleRule]) throws -> CompactionResult {
        let progress = ProgressBar(label: "compacting")
        defer { progress.finish() }
        let options = CompactOptions(downsample: downsample) { update in
            let fraction = update.partitionsTotal == 0 ? nil : Double(update.partitionsDone) / Double(update.partitionsTotal)
            progress.update(fraction: fraction) { _ in
                "\(update.phase.rawValue): \(update.partitionsDone) of \(update.partitionsTotal) partitions, "
                    + "\(update.bytesWritten) bytes written"
            }
        }
        do {
            return try handle.compact(options: options)
        } catch let error as TallyError where error.code == .invalidArgument {
            throw CommandError("cannot compact: \(error.message)")
        } catch let error as TallyError where error.code == .io {
            throw CommandError("compaction failed: \(error.message)" + (error.path.map { " [\($0)]" } ?? ""))
        }
    }

    static func summary(_ result: CompactionResult, path: String, seconds: Double) -> String {
        let copied = result.partitions - result.partitionsRewritten
        let change = result.bytesBefore == 0
            ? "" : " (" + formatNumber(100 * (Double(result.bytesAfter) / Double(result.bytesBefore) - 1), decimals: 1) + "%)"
        return "compacted \(path) in \(formatNumber(seconds)) s\n" + renderFields([
            ("file", "\(result.bytesBefore) → \(result.bytesAfter) bytes\(change)"),
            ("segments", "\(result.segmentsBefore) → \(result.segmentsAfter)"),
            ("partitions", "\(result.partitions): \(result.partitionsRewritten) rewritten (\(result.partitionsDownsampled) "
                + "downsampled), \(copied) copied unchanged"),
            ("rows", "\(result.rowsBefore) → \(result.rowsAfter)"),
        ])
    }

    static func json(_ result: CompactionResult) -> JSONValue {
        .object([
            ("bytes_before", .unsigned(result.bytesBefore)), ("bytes_after", .unsigned(result.bytesAfter)),
            ("segments_before", .integer(Int64(result.segmentsBefore))), ("segments_after", .integer(Int64(result.segmentsAfter))),
            ("partitions", .integer(Int64(result.partitions))),
            ("partitions_rewritten", .integer(Int64(result.partitionsRewritten))),
            ("partitions_downsampled", .integer(Int64(result.partitionsDownsampled))),
            ("rows_before", .unsigned(result.rowsBefore)), ("rows_after", .unsigned(result.rowsAfter)),
        ])
    }
}

/// `--downsample 30d:day`: an age (``DurationArgument``, zero allowed) and a bucket.
enum DownsampleArgument {
    @Sendable
    static func parse(_ text: String) throws -> DownsampleRule {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let age = DurationArgument.milliseconds(from: String(parts[0])),
              let bucket = Granularity(rawValue: String(parts[1])), bucket != .minute
        else {
            throw ValidationError("'\(text)' is not AGE:BUCKET: AGE is \(DurationArgument.help), BUCKET is hour, day or week")
        }
        return DownsampleRule(olderThan: age, bucket: bucket)
    }
}
