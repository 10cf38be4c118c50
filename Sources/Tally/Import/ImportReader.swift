/// What the reading thread of an import hands over: one batch's lines, parsed, or where the
/// import stops.
struct ParsedLines {
    /// The batch to commit; nil when this only reports a failure.
    var pending: ParsedBatch?
    /// The batch's id (see ``PendingBatch/batchID``) and the batch validated and encoded for
    /// the log, or why it could not be: work done here so the committing thread has less.
    var batchID = ""
    var prepared: Result<Engine.PreparedBatch, any Error>?
    /// Whether the batch has ``ImportOptions/batchSize`` lines (progress is reported after those).
    var isFull = false
    /// Lines read so far, this batch's (and a failing line) included.
    var linesThrough: Int
    /// Lines of this batch skipped as malformed (``ImportOptions/skipInvalid``), in order.
    var skipped: [ImportLineError] = []
    var bytesConsumed: UInt64 = 0
    var totalBytes: UInt64?
    /// The import stops here, after committing the batches before: the first malformed line
    /// (an ``ImportLineError``, its summary still to fill in) or a read error.
    var failure: (any Error)?
}

/// Reads and parses an import's lines into batches, on its own thread (see
/// ``Tally/importNDJSON(fromPath:options:)``). Owns the input: only ``run(into:)`` touches it,
/// and closes it before returning.
final class ImportReader: @unchecked Sendable {
    private var input: LineInput
    private let path: String
    private let options: ImportOptions
    /// Validates and encodes a batch for the log (``Engine/prepare(_:batchID:)``).
    private let prepare: @Sendable (EventBatch, String) throws -> Engine.PreparedBatch

    init(
        input: LineInput, path: String, options: ImportOptions,
        prepare: @escaping @Sendable (EventBatch, String) throws -> Engine.PreparedBatch
    ) {
        self.input = input
        self.path = path
        self.options = options
        self.prepare = prepare
    }

    /// Puts each batch, then any failure, into `batches`, and closes it. Stops early when the
    /// consumer cancels `batches`.
    func run(into batches: BoundedQueue<ParsedLines>) {
        defer {
            input.close()
            batches.close()
        }
        var lines = 0
        var pending = PendingBatch(firstLine: 1, capacity: options.batchSize)
        var skipped: [ImportLineError] = []
        /// Hands over the batch read so far; false when the consumer gave up.
        func handOver(isFull: Bool) -> Bool {
            let batchID = pending.batchID
            let prepared = Result { try prepare(pending.builder.batch, batchID) }
            return batches.put(ParsedLines(
                pending: pending.parsed, batchID: batchID, prepared: prepared, isFull: isFull, linesThrough: lines,
                skipped: skipped, bytesConsumed: input.bytesConsumed, totalBytes: input.totalBytes))
        }
        func fail(_ error: any Error) {
            _ = batches.put(ParsedLines(linesThrough: lines, skipped: skipped, failure: error))
        }
        while true {
            let line: ArraySlice<UInt8>
            do {
                guard let next = try input.nextLine() else { break }
                line = next
            } catch var error as ImportLineError {
                error.line = lines + 1
                return fail(error)
            } catch {
                return fail(error)
            }
            lines += 1
            pending.add(line: line)
            let isBlank = line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
            if !isBlank {
                do {
                    try pending.parse(line, lineNumber: lines)
                } catch {
                    let problem = ImportLineError(file: path, line: lines, reason: "column \(error.column): \(error.reason)")
                    guard options.skipInvalid else { return fail(problem) }
                    skipped.append(problem)
                }
            }
            if pending.lineCount == options.batchSize {
                guard handOver(isFull: true) else { return }
                pending = PendingBatch(firstLine: pending.firstLine + pending.lineCount, capacity: options.batchSize)
                skipped = []
            }
        }
        if pending.lineCount > 0 { _ = handOver(isFull: false) }
    }
}
