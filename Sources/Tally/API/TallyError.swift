/// The one error type of the library.
///
/// Callers switch on ``code``; ``message`` is for people. Messages never contain dimension values
/// or unit ids from stored data, only names, counts, offsets and paths.
public struct TallyError: Error, Sendable, CustomStringConvertible {
    /// Stable error kinds. New codes may be added; existing ones keep their meaning.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A batch was rejected: see ``TallyError/problems``. Nothing of it was stored.
        public static let invalidBatch = Code(rawValue: "invalid-batch")
        /// A query, option or argument is not valid.
        public static let invalidArgument = Code(rawValue: "invalid-argument")
        /// Stored bytes failed a checksum or a structural check: see ``TallyError/path`` and ``TallyError/offset``.
        public static let corruption = Code(rawValue: "corruption")
        /// The operating system reported an error: see ``TallyError/osErrno``.
        public static let io = Code(rawValue: "io")
        /// Another writer holds the database's lock.
        public static let locked = Code(rawValue: "locked")
        /// The database handle was opened read-only and the operation writes.
        public static let readOnly = Code(rawValue: "read-only")
        /// The handle was closed.
        public static let closed = Code(rawValue: "closed")
        /// A write or sync failed earlier; the handle refuses further writes. Reopen the database.
        public static let needsReopen = Code(rawValue: "needs-reopen")
        /// The file does not exist, or is not a Tally database.
        public static let notFound = Code(rawValue: "not-found")
        /// The file was written by an unknown format version.
        public static let unsupportedVersion = Code(rawValue: "unsupported-version")
        /// A configured bound (series per metric, memory) was reached.
        public static let limitExceeded = Code(rawValue: "limit-exceeded")
    }

    public var code: Code
    public var message: String
    /// The file concerned, when there is one.
    public var path: String?
    /// The byte offset in ``path`` where corruption was found.
    public var offset: UInt64?
    /// The `errno` of a failed system call.
    public var osErrno: Int32?
    /// For ``Code/invalidBatch``: every bad event, by index in the batch.
    public var problems: [EventProblem]

    public init(
        _ code: Code, _ message: String, path: String? = nil, offset: UInt64? = nil,
        osErrno: Int32? = nil, problems: [EventProblem] = []
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.offset = offset
        self.osErrno = osErrno
        self.problems = problems
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let path { text += " [\(path)" + (offset.map { " at offset \($0)" } ?? "") + "]" }
        for problem in problems.prefix(20) { text += "\n  \(problem)" }
        if problems.count > 20 { text += "\n  … and \(problems.count - 20) more" }
        return text
    }

    static func corruption(_ message: String, path: String, offset: UInt64) -> TallyError {
        TallyError(.corruption, message, path: path, offset: offset)
    }

    static func invalid(_ message: String) -> TallyError {
        TallyError(.invalidArgument, message)
    }
}

/// Why one event of a batch was rejected.
public struct EventProblem: Sendable, Hashable, CustomStringConvertible {
    /// The event's position in the batch, from 0.
    public var index: Int
    /// The field at fault: `timestamp`, `metric`, `dimensions`, `value`, `unit`, or `event`.
    public var field: String
    public var reason: String

    public init(index: Int, field: String, reason: String) {
        self.index = index
        self.field = field
        self.reason = reason
    }

    public var description: String { "event \(index): \(field): \(reason)" }
}
