#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// Options of ``Tally/importNDJSON(fromPath:options:)``.
public struct ImportOptions: Sendable {
    /// Lines per batch. Re-running an import must use the same value for its batches to be
    /// recognised as duplicates. The import holds up to 40 000 parsed lines
    /// (at least two batches) ahead of the ones it stores.
    public var batchSize = 10_000
    /// Skip malformed lines (and lines whose event is invalid) instead of stopping.
    public var skipInvalid = false
    /// How many skipped lines to describe in the summary.
    public var maxReportedProblems = 10
    /// Called after each full batch is stored (durable under durability `full`), from the
    /// importing thread.
    public var progress: (@Sendable (ImportProgress) -> Void)?

    public init() {}
}

public struct ImportProgress: Sendable {
    public var bytesRead: UInt64
    /// Size of the input, when it is a regular file.
    public var totalBytes: UInt64?
    public var events: Int
    public var batches: Int
}

/// What an import did.
public struct ImportSummary: Sendable {
    /// Lines read (including skipped and blank ones).
    public var lines = 0
    /// Events stored.
    public var events = 0
    public var batches = 0
    /// Batches recognised as already imported (their events are not counted in ``events``).
    public var duplicateBatches = 0
    /// Events dropped as older than the retention horizon.
    public var dropped = 0
    public var skippedLines = 0
    /// The first few skipped lines and why.
    public var problems: [ImportLineError] = []
}

/// A line that could not be imported: `FILE:LINE: reason`.
public struct ImportLineError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var reason: String
    /// How much was committed before the import stopped.
    public var summary: ImportSummary?

    public var description: String { "\(file):\(line): \(reason)" }
}

extension Tally {
    /// Parsed lines the reading thread may hold ahead of the committing one (in whole batches).
    /// Two batches of 10 000 lines left the reader waiting through each partition's flush
    /// (session 8); since parsing got faster (session 9), the committing thread is the slower
    /// one, and 4 batches import as fast as 12 with a 10–25 MB lower peak (BENCHMARKS.md has
    /// the runs). Each batch waiting costs about 1.3 MB.
    static let readAheadLines = 40_000

    /// Imports newline-delimited JSON events (one object per line, the format of
    /// `shared/workload/gen_events.py`). `path` may be `-` for standard input.
    ///
    /// Lines are grouped into batches of ``ImportOptions/batchSize`` lines; each batch's id is
    /// derived from its lines' bytes and line numbers, so importing the same file again, or
    /// re-running an import that was interrupted, stores every event exactly once.
    /// - Throws: ``ImportLineError`` at the first bad line (unless skipping), after keeping the
    ///   batches committed before it; ``TallyError`` for storage errors.
    ///
    /// Lines are read and parsed on a second thread while this one commits the batches before,
    /// so parsing and storing overlap: up to ``readAheadLines`` lines of parsed batches (at
    /// least two batches) wait between them, about 5 MB, so that parsing goes on while a
    /// flush writes a partition.
    public func importNDJSON(fromPath path: String, options: ImportOptions = ImportOptions()) throws -> ImportSummary {
        let engine = engine
        let reader = ImportReader(input: try LineInput(path: path), path: path, options: options) { batch, batchID in
            try engine.prepare(batch, batchID: batchID)
        }
        let batches = BoundedQueue<ParsedLines>(capacity: max(2, Self.readAheadLines / max(options.batchSize, 1)))
        let readerDone = DispatchGroup()
        DispatchQueue.global().async(group: readerDone) { reader.run(into: batches) }
        // However this returns, the reader stops at its next batch. A file's reader is waited
        // for (it closes the file first); standard input's is not, as its read may block until
        // the writer of the pipe writes or closes.
        defer {
            batches.cancel()
            if path != "-" { readerDone.wait() }
        }
        var summary = ImportSummary()
        // The last appended batch not yet known durable, and its progress report: its log sync
        // runs while the next batch is applied, and it counts as stored (progress, summary,
        // return) only once the sync is done.
        var unconfirmed: (lsn: UInt64, progress: ImportProgress?)?
        func confirm() throws {
            guard let batch = unconfirmed else { return }
            try engine.waitUntilDurable(batch.lsn)
            if let progress = batch.progress { options.progress?(progress) }
            unconfirmed = nil
        }
        while let parsed = batches.take() {
            summary.lines = parsed.linesThrough
            for problem in parsed.skipped { summary.skip(problem, max: options.maxReportedProblems) }
            if let failure = parsed.failure {
                try confirm()
                guard var lineError = failure as? ImportLineError else { throw failure }
                lineError.summary = summary
                throw lineError
            }
            guard let pending = parsed.pending, let prepared = parsed.prepared else { continue }
            let lsn: UInt64
            do {
                lsn = try append(pending, batchID: parsed.batchID, prepared: prepared, summary: &summary, path: path, options: options)
            } catch let lineError as ImportLineError {
                try confirm()  // the batches its summary counts are stored
                throw lineError
            }
            try confirm()
            engine.startSync(upTo: lsn)
            try engine.flushIfNeeded()
            let progress = parsed.isFull
                ? ImportProgress(
                    bytesRead: parsed.bytesConsumed, totalBytes: parsed.totalBytes, events: summary.events,
                    batches: summary.batches)
                : nil
            unconfirmed = (lsn, progress)
        }
        try confirm()
        return summary
    }

    /// Logs and applies one batch, `prepared` by the reading thread, and counts it in `summary`;
    /// returns its LSN. With ``ImportOptions/skipInvalid``, its invalid events are reported and
    /// the rest prepared again here.
    private func append(
        _ pending: ParsedBatch, batchID: String, prepared: Result<Engine.PreparedBatch, any Error>,
        summary: inout ImportSummary, path: String, options: ImportOptions
    ) throws -> UInt64 {
        var batch = pending.events
        var lineNumbers = pending.lineNumbers
        var prepared = prepared
        while true {
            do {
                let (result, lsn) = try engine.append(try prepared.get(), helperThread: false)
                summary.batches += 1
                if result.duplicate { summary.duplicateBatches += 1 }
                summary.events += result.accepted
                summary.dropped += result.droppedAsExpired
                return lsn
            } catch let error as TallyError where error.code == .invalidBatch {
                // Report the invalid events by line; with skipInvalid, retry without them.
                let badIndices = Set(error.problems.map(\.index))
                let problems = error.problems.map { problem in
                    ImportLineError(
                        file: path, line: lineNumbers[min(problem.index, lineNumbers.count - 1)],
                        reason: "\(problem.field): \(problem.reason)")
                }
                guard options.skipInvalid, !badIndices.isEmpty else {
                    var failure = problems.first ?? ImportLineError(file: path, line: pending.firstLine, reason: error.message)
                    failure.summary = summary
                    throw failure
                }
                for problem in problems { summary.skip(problem, max: options.maxReportedProblems) }
                batch = batch.removing(badIndices)
                lineNumbers = lineNumbers.enumerated().filter { !badIndices.contains($0.offset) }.map(\.element)
                prepared = Result { [batch] in try engine.prepare(batch, batchID: batchID) }
            }
        }
    }
}

extension ImportSummary {
    mutating func skip(_ problem: ImportLineError, max: Int) {
        skippedLines += 1
        if problems.count < max { problems.append(problem) }
    }
}

/// The lines of one batch: their events, and a running hash of their bytes for the batch id.
struct PendingBatch {
    let firstLine: Int
    var lineCount = 0
    /// The batch's events, parsed straight from the lines' bytes.
    var builder: EventBatchBuilder
    /// The line number of each event of `builder`.
    var lineNumbers: [Int] = []
    /// The hash of the batch's lines, each followed by a newline (hashed as they come, so the
    /// lines are not kept).
    private var hash = XXHash64.Stream()
    private var scratch = NDJSONEventParser.Scratch()

    /// `capacity`: the lines expected (the batch size), reserved for at once.
    init(firstLine: Int, capacity: Int) {
        self.firstLine = firstLine
        builder = EventBatchBuilder(capacity: capacity)
        lineNumbers.reserveCapacity(capacity)
    }

    mutating func add(line: ArraySlice<UInt8>) {
        lineCount += 1
        line.withUnsafeBytes { hash.update($0) }
        withUnsafeBytes(of: UInt8(0x0A)) { hash.update($0) }
    }

    mutating func parse(_ line: ArraySlice<UInt8>, lineNumber: Int) throws(NDJSONParseError) {
        try line.withUnsafeBytes { raw in
            Result { () throws(NDJSONParseError) in try NDJSONEventParser.parse(raw, into: &builder, scratch: &scratch) }
        }.get()
        lineNumbers.append(lineNumber)
    }

    /// What the committing thread needs of the batch: not the interner, whose table (a few
    /// hundred KB per batch) would otherwise wait in the queue with it.
    var parsed: ParsedBatch {
        ParsedBatch(firstLine: firstLine, events: builder.batch, lineNumbers: lineNumbers)
    }

    /// `ndjson:<first line>:<line count>:<XXH64 of the lines' bytes, seed 0, hex>`.
    var batchID: String {
        "ndjson:\(firstLine):\(lineCount):\(String(hash.finish(), radix: 16))"
    }
}

/// A parsed batch as the committing thread needs it: its events and each event's line.
struct ParsedBatch {
    let firstLine: Int
    var events: EventBatch
    var lineNumbers: [Int]
}
