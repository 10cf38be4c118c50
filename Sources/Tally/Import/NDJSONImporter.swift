#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Options of ``Tally/importNDJSON(fromPath:options:)``.
public struct ImportOptions: Sendable {
    /// Lines per batch. Re-running an import must use the same value for its batches to be
    /// recognised as duplicates.
    public var batchSize = 10_000
    /// Skip malformed lines (and lines whose event is invalid) instead of stopping.
    public var skipInvalid = false
    /// How many skipped lines to describe in the summary.
    public var maxReportedProblems = 10
    /// Called after each committed batch, from the importing thread.
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
    /// Imports newline-delimited JSON events (one object per line, the format of
    /// `shared/workload/gen_events.py`). `path` may be `-` for standard input.
    ///
    /// Lines are grouped into batches of ``ImportOptions/batchSize`` lines; each batch's id is
    /// derived from its lines' bytes and line numbers, so importing the same file again, or
    /// re-running an import that was interrupted, stores every event exactly once.
    /// - Throws: ``ImportLineError`` at the first bad line (unless skipping), after keeping the
    ///   batches committed before it; ``TallyError`` for storage errors.
    public func importNDJSON(fromPath path: String, options: ImportOptions = ImportOptions()) throws -> ImportSummary {
        var input = try LineInput(path: path)
        defer { input.close() }
        var summary = ImportSummary()
        var pending = PendingBatch(firstLine: 1)
        func nextLine() throws -> ArraySlice<UInt8>? {
            do {
                return try input.nextLine()
            } catch var error as ImportLineError {
                error.line = summary.lines + 1
                error.summary = summary
                throw error
            }
        }
        while let line = try nextLine() {
            summary.lines += 1
            pending.add(line: line)
            let isBlank = line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
            if !isBlank {
                do {
                    try pending.parse(line, lineNumber: summary.lines)
                } catch {
                    let problem = ImportLineError(
                        file: path, line: summary.lines, reason: "column \(error.column): \(error.reason)")
                    guard options.skipInvalid else {
                        var failure = problem
                        failure.summary = summary
                        throw failure
                    }
                    summary.skip(problem, max: options.maxReportedProblems)
                }
            }
            if pending.lineCount == options.batchSize {
                try commit(&pending, summary: &summary, path: path, options: options)
                options.progress?(ImportProgress(
                    bytesRead: input.bytesConsumed, totalBytes: input.totalBytes, events: summary.events,
                    batches: summary.batches))
            }
        }
        if pending.lineCount > 0 { try commit(&pending, summary: &summary, path: path, options: options) }
        return summary
    }

    private func commit(
        _ pending: inout PendingBatch, summary: inout ImportSummary, path: String, options: ImportOptions
    ) throws {
        defer { pending = PendingBatch(firstLine: pending.firstLine + pending.lineCount) }
        var batch = pending.builder.batch
        var lineNumbers = pending.lineNumbers
        while true {
            do {
                let result = try engine.ingest(batch, batchID: pending.batchID)
                summary.batches += 1
                if result.duplicate { summary.duplicateBatches += 1 }
                summary.events += result.accepted
                summary.dropped += result.droppedAsExpired
                return
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
private struct PendingBatch {
    let firstLine: Int
    var lineCount = 0
    /// The batch's events, parsed straight from the lines' bytes.
    var builder = EventBatchBuilder()
    /// The line number of each event of `builder`.
    var lineNumbers: [Int] = []
    /// The batch's lines, each followed by a newline.
    private var bytes: [UInt8] = []

    init(firstLine: Int) { self.firstLine = firstLine }

    mutating func add(line: ArraySlice<UInt8>) {
        lineCount += 1
        bytes.append(contentsOf: line)
        bytes.append(0x0A)
    }

    mutating func parse(_ line: ArraySlice<UInt8>, lineNumber: Int) throws(NDJSONParseError) {
        try line.withUnsafeBytes { raw in
            Result { () throws(NDJSONParseError) in try NDJSONEventParser.parse(raw, into: &builder) }
        }.get()
        lineNumbers.append(lineNumber)
    }

    /// `ndjson:<first line>:<line count>:<XXH64 of the lines' bytes, seed 0, hex>`.
    var batchID: String {
        "ndjson:\(firstLine):\(lineCount):\(String(XXHash64.hash(bytes), radix: 16))"
    }
}
