import ArgumentParser
import Tally

/// `tally retention DB (--keep DURATION | --before T)`: `Tally.applyRetention`, which drops whole
/// partitions. As the writer, or with `--dry-run` read-only (beside a running writer).
struct RetentionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Drop the partitions that end at or before a cutoff, or show what would be dropped.",
        discussion: """
            The cutoff is rounded down to a partition boundary (the retention horizon); every \
            partition ending at or before it is dropped in one atomic commit, and events older than \
            it are dropped from then on when ingested. The horizon never moves back. Experiment \
            reports are not affected. Dropped bytes stay in the file until compaction (--compact, \
            or tally compact). Needs the writer's lock, except with --dry-run.
            
            JSON is one object (times in epoch ms; compaction as tally compact prints it):
            {"dry_run":B,"horizon":T|null,"partitions":[T,…],"segments":N,"rows":N,"events":N,\
            "bytes":N,"compaction":{…}|null}
            """)

    @Argument(help: "The database file.")
    var database: String

    @Option(help: "Keep the partitions that end within this span before now (\(DurationArgument.help)).", transform: DurationArgument.parse)
    var keep: Int64?

    @Option(help: "Drop the partitions that end at or before this time (\(TimeArgument.help)).", transform: TimeArgument.parse)
    var before: Int64?

    @Flag(help: "Compact the file afterwards, reclaiming the dropped bytes.")
    var compact = false

    @Flag(help: "Only show what would be dropped; changes nothing and takes no lock.")
    var dryRun = false

    @Option(help: "table or json.")
    var format: DisplayFormat = .table

    func validate() throws {
        guard (keep == nil) != (before == nil) else { throw ValidationError("give one of --keep DURATION or --before T") }
        if compact, dryRun { throw ValidationError("--dry-run changes nothing: leave out --compact") }
    }

    func run() throws {
        let handle = dryRun
            ? try DatabaseOpening.readOnly(database, experiments: false) : try DatabaseOpening.writer(database, for: "apply retention")
        defer { try? handle.close() }
        let partition = handle.storedOptions.partition
        let result: RetentionResult
        if let keep {
            result = try handle.applyRetention(keeping: keep, dryRun: dryRun)
        } else {
            result = try handle.applyRetention(before: before!, dryRun: dryRun)
        }
        let started = ContinuousClock.now
        let compaction = compact ? try CompactionRunner.run(handle, downsample: []) : nil
        try handle.close()
        switch format {
        case .table:
            print(RetentionOutput.summary(result, partition: partition))
            if let compaction {
                print(CompactionRunner.summary(compaction, path: database, seconds: (ContinuousClock.now - started).seconds))
            } else if !dryRun, result.bytes > 0 {
                Terminal.note("note: the \(result.bytes) dropped bytes stay in the file until tally compact (or --compact)")
            }
        case .json:
            print(RetentionOutput.json(result, compaction: compaction).serialized)
        }
    }
}

enum RetentionOutput {
    static func summary(_ result: RetentionResult, partition: Granularity) -> String {
        let horizon = result.horizon.map { partitionName($0, partition) }
        guard !result.partitions.isEmpty else {
            return "nothing to drop" + (horizon.map { ": no data before \($0)" + (result.dryRun ? "" : ", the retention horizon") } ?? "")
        }
        let count = "\(result.partitions.count) partition\(result.partitions.count == 1 ? "" : "s")"
        return (result.dryRun ? "would drop " : "dropped ") + count
            + (horizon.map { ", everything before \($0)" + (result.dryRun ? "" : " (the new retention horizon)") } ?? "") + ":\n"
            + renderFields([
                ("partitions", describe(result.partitions, partition)),
                ("segments", String(result.segments)),
                ("rows", String(result.rows)),
                ("events", String(result.events)),
                ("bytes", String(result.bytes)),
            ])
    }

    static func json(_ result: RetentionResult, compaction: CompactionResult?) -> JSONValue {
        .object([
            ("dry_run", .bool(result.dryRun)), ("horizon", .optional(result.horizon)),
            ("partitions", .array(result.partitions.map(JSONValue.integer))),
            ("segments", .integer(Int64(result.segments))), ("rows", .unsigned(result.rows)),
            ("events", .unsigned(result.events)), ("bytes", .unsigned(result.bytes)),
            ("compaction", compaction.map(CompactionRunner.json) ?? .null),
        ])
    }

    /// The partitions by name, three or more consecutive ones as `first … last`.
    static func describe(_ starts: [Int64], _ partition: Granularity) -> String {
        var runs: [[Int64]] = []
        for start in starts {
            if let last = runs.last?.last, start == last + partition.milliseconds {
                runs[runs.count - 1].append(start)
            } else {
                runs.append([start])
            }
        }
        return runs.flatMap { run in
            run.count < 3
                ? run.map { partitionName($0, partition) }
                : ["\(partitionName(run[0], partition)) … \(partitionName(run[run.count - 1], partition)) (\(run.count))"]
        }.joined(separator: ", ")
    }

    /// A partition's start as a UTC date (`2026-10-01`) for day and week partitions, with the
    /// time for hour partitions.
    static func partitionName(_ start: Int64, _ partition: Granularity) -> String {
        let text = TimeArgument.format(start)
        return partition == .hour ? text : String(text.prefix(10))
    }
}
