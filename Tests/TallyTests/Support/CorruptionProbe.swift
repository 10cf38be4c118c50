@testable import Tally
import TallyTesting

/// Opens a damaged copy of a database and decides whether the damage was detected, harmless,
/// or neither (issue 7, procedure 5).
///
/// "Answers" are the results of queries that read every column of every metric, the variant
/// report and the experiment list. A damaged copy is:
/// - *detected* when opening, a query or `verify()` reports it (an error, or a verify problem);
/// - *harmless* when every answer equals the undamaged answers and `verify()` is clean;
/// - *tail lost* (log only) when the answers equal those of the log cut before the damaged frame
///   and no later frame vouched for it: rule W4 cannot tell such damage from a torn write;
/// - *undetected* otherwise: a wrong answer with no report. The sweeps require zero.
struct CorruptionProbe {
    enum Outcome: Equatable {
        case detected(String)
        case harmless
        case tailLost
        case undetected(String)
    }

    static let queries: [Query] = [
        Query(metric: CrashWorkload.tagMetric, groupBy: ["batch"], every: .hour,
              measures: [.count, .sum, .min, .max, .units]),
        Query(metric: CrashWorkload.tagMetric, groupBy: ["stream"], measures: [.count, .sum, .min, .max, .units]),
        Query(metric: "exposure", groupBy: ["experiment", "variant"], every: .day, measures: [.count, .units]),
        Query(metric: "conv", every: .hour, measures: [.count, .sum, .min, .max, .units]),
    ]

    /// Everything a user can read back, in a form that compares exactly.
    struct Answers: Equatable {
        var results: [QueryResult]
        var experiments: [ExperimentSummary]
        /// Per variant: units, and credited units, events and sum of `conv`.
        var report: [String]

        static func of(_ db: Tally) throws -> Answers {
            let results = try queries.map { try db.query($0) }
            let experiments = try db.experiments()
            var report: [String] = []
            if experiments.contains(where: { $0.name == CrashWorkload.experiment }) {
                let variantReport = try db.variantReport(experiment: CrashWorkload.experiment, metrics: ["conv"])
                report = variantReport.variants.map { variant in
                    let conv = variant.metrics["conv"]
                    return "\(variant.name) \(variant.units) \(conv?.units ?? 0) \(conv?.events ?? 0) \(conv?.sum ?? 0)"
                }
                report.append("conflicts \(variantReport.conflicts)")
            }
            return Answers(results: results, experiments: experiments, report: report)
        }
    }

    let reference: Answers
    /// Answers when the log is cut before its frame `i`, with the offset of each frame and
    /// whether a later frame vouches for it (its `syncedOffset` is past the frame).
    var logPrefixes: [(offset: Int, vouched: Bool, answers: Answers)] = []

    /// Opens `disk` as a writer would after a crash, reads every answer, verifies.
    static func open(_ disk: SimulatedFileSystem) -> Result<Answers, TallyError> {
        do {
            let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(disk))
            defer { try? db.close() }
            let answers = try Answers.of(db)
            let report = try db.verify()
            if let problem = report.problems.first {
                return .failure(TallyError(.corruption, "verify: \(problem)", path: problem.path, offset: problem.offset))
            }
            return .success(answers)
        } catch let error as TallyError {
            return .failure(error)
        } catch {
            return .failure(TallyError(.io, "not a TallyError: \(error)"))
        }
    }

    /// Classifies one damaged disk. `logFrame` is the index of the log frame the damage is in, if any.
    func classify(_ disk: SimulatedFileSystem, logFrame: Int? = nil) -> Outcome {
        switch Self.open(disk) {
        case .failure(let error):
            // Damage must be reported as what it is, with a place: corruption (or, for the
            // magic and version, "not a database" and "unsupported version").
            let expected: [TallyError.Code] = [.corruption, .notFound, .unsupportedVersion]
            guard expected.contains(error.code), error.code != .corruption || error.offset != nil else {
                return .undetected("unexpected error \(error)")
            }
            return .detected(error.code.rawValue)
        case .success(let answers):
            if answers == reference { return .harmless }
            if let logFrame, logFrame < logPrefixes.count, !logPrefixes[logFrame].vouched,
               answers == logPrefixes[logFrame].answers {
                return .tailLost
            }
            return .undetected("answers changed without a report")
        }
    }
}

/// Tallies of outcomes for the figures.
struct CorruptionTally: CustomStringConvertible {
    var tried = 0
    var detected = 0
    var harmless = 0
    var tailLost = 0
    var undetected: [String] = []

    mutating func add(_ outcome: CorruptionProbe.Outcome, _ label: @autoclosure () -> String) {
        tried += 1
        switch outcome {
        case .detected: detected += 1
        case .harmless: harmless += 1
        case .tailLost: tailLost += 1
        case .undetected(let why): undetected.append("\(label()): \(why)")
        }
    }

    var description: String {
        "tried=\(tried) detected=\(detected) harmless=\(harmless) tail_lost=\(tailLost) undetected=\(undetected.count)"
    }
}

extension CorruptionProbe.Answers {
    /// The answers of a clean database holding exactly `batches` of `workload`: the state
    /// "before" or "after" an interrupted operation, whichever those batches are.
    static func of(batches: Set<BatchKey>, workload: CrashWorkload) throws -> Self {
        let fileSystem = SimulatedFileSystem()
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        for key in batches.sorted() { try db.ingest(workload.events(key), batchID: key.id) }
        try db.flush()
        return try of(db)
    }
}
