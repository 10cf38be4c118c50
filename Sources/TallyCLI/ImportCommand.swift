import ArgumentParser
import Tally

/// `tally import DB FILE`: NDJSON events into a database, through `Tally.importNDJSON`.
///
/// Exactly-once: batch ids come from the content and position of the lines (see
/// `ImportOptions.batchSize`), so re-running an import — after a kill, or of the same file —
/// stores every event once, provided `--batch-size` is the same.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import NDJSON events into a database, creating it if needed.",
        discussion: """
            Each line is one event:
            {"ts":<epoch ms>,"metric":"…","unit":"…","dims":{"k":"v",…},"value":<number>}
            (unit, dims and value are optional). Lines are committed in batches; a malformed line \
            stops the import with FILE:LINE: reason, keeping the batches committed before it. \
            Re-running the same import (same file, same --batch-size) counts every event once.
            """)

    @Argument(help: "The database file; created when missing.")
    var database: String

    @Argument(help: "The NDJSON file, or - for standard input.")
    var file: String

    @Option(help: "Lines per batch (each batch is committed atomically).")
    var batchSize = 10_000

    @Option(help: "Rollup resolution when creating the database: minute, hour or day (default hour).")
    var bucket: BucketArgument?

    @Option(help: "Segment time span when creating the database: hour, day or week (default day).")
    var partition: PartitionArgument?

    @Option(help: "full: each batch is synced (survives power loss); normal: synced within milliseconds; off: never synced (survives a process kill only).")
    var durability: Durability = .full

    @Flag(help: "Skip malformed or invalid lines instead of stopping; report how many and the first few.")
    var skipInvalid = false

    func validate() throws {
        guard batchSize >= 1, batchSize <= Limits().maxEventsPerBatch else {
            throw ValidationError("--batch-size must be between 1 and \(Limits().maxEventsPerBatch)")
        }
    }

    func run() throws {
        var options = Options()
        if let bucket { options.bucket = bucket.granularity }
        if let partition { options.partition = partition.granularity }
        options.durability = durability
        let database = try Tally.open(at: database, options: options)
        defer { try? database.close() }
        try checkStoredOptions(database.storedOptions)

        let progress = ProgressBar(label: "importing")
        var importOptions = ImportOptions()
        importOptions.batchSize = batchSize
        importOptions.skipInvalid = skipInvalid
        importOptions.progress = { update in
            progress.update(fraction: update.totalBytes.map { $0 == 0 ? 1 : Double(update.bytesRead) / Double($0) }, events: update.events)
        }
        let started = ContinuousClock.now
        let summary: ImportSummary
        do {
            summary = try database.importNDJSON(fromPath: file, options: importOptions)
            try database.close()
        } catch let failure as ImportLineError {
            progress.finish()
            Terminal.note(ImportReport.describe(failure, input: file))
            Terminal.note(
                "import stopped: \(failure.summary?.batches ?? 0) batches (\(failure.summary?.events ?? 0) events) committed before line "
                    + "\(failure.line) were kept; fix the line and run the same import again — committed batches are "
                    + "recognised and not counted twice")
            throw ExitCode.failure
        }
        progress.finish()
        print(ImportReport.summaryLine(summary, seconds: (ContinuousClock.now - started).seconds))
        if summary.skippedLines > 0 {
            let shown = summary.problems.count < summary.skippedLines ? "; the first \(summary.problems.count)" : ""
            Terminal.note("skipped \(summary.skippedLines) invalid line\(summary.skippedLines == 1 ? "" : "s")\(shown):")
            for problem in summary.problems { Terminal.note("  " + ImportReport.describe(problem, input: file)) }
        }
    }

    /// Options of an existing database are fixed at creation; asking for others is an error.
    private func checkStoredOptions(_ stored: Options) throws {
        if let bucket, bucket.granularity != stored.bucket {
            throw CommandError(
                "\(database) has bucket \(stored.bucket.rawValue); options of an existing database cannot be changed (leave out --bucket)")
        }
        if let partition, partition.granularity != stored.partition {
            throw CommandError(
                "\(database) has partition \(stored.partition.rawValue); options of an existing database cannot be changed (leave out --partition)")
        }
    }
}

enum ImportReport {
    /// `events, batches, duplicates, dropped, seconds, events/s` on one line.
    static func summaryLine(_ summary: ImportSummary, seconds: Double) -> String {
        let rate = seconds > 0 ? Int(Double(summary.events) / seconds) : 0
        return "imported \(summary.events) events in \(summary.batches) batches "
            + "(\(summary.duplicateBatches) duplicate batches skipped, \(summary.dropped) events dropped as expired) "
            + "in \(formatNumber(seconds)) s, \(rate) events/s"
    }

    /// `FILE:LINE: reason`, naming standard input `<stdin>`.
    static func describe(_ problem: ImportLineError, input: String) -> String {
        var problem = problem
        if problem.file == "-" { problem.file = "<stdin>" }
        return problem.description
    }
}

enum BucketArgument: String, CaseIterable, ExpressibleByArgument {
    case minute, hour, day
    var granularity: Granularity { Granularity(rawValue: rawValue)! }
}

enum PartitionArgument: String, CaseIterable, ExpressibleByArgument {
    case hour, day, week
    var granularity: Granularity { Granularity(rawValue: rawValue)! }
}

extension Durability: ExpressibleByArgument {}
