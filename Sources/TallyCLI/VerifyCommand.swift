import ArgumentParser
import Tally

/// `tally verify DB`: every checksum and structural invariant (format-spec.md, rules V1–V6).
///
/// Exit status: 0 and one summary line when clean; 1 with one line per problem (path, offset,
/// what is wrong) when damage is found — including damage that stops the database from
/// opening at all. Damage is reported, never a crash.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every checksum and structural invariant; exit 1 when anything is damaged.")

    @Argument(help: "The database file.")
    var database: String

    func run() throws {
        let report: VerifyReport
        do {
            let handle = try DatabaseOpening.readOnly(database, experiments: false)
            defer { try? handle.close() }
            report = try handle.verify()
        } catch let error as TallyError where error.code == .corruption {
            // Same shape as `VerifyReport.Problem.description`: `PATH at offset N: message`.
            let location = (error.path ?? database) + (error.offset.map { " at offset \($0)" } ?? "")
            print("\(location): \(error.message) (the database cannot be opened)")
            print("\(database): 1 problem found")
            throw ExitCode(1)
        }
        for note in report.notes { Terminal.note("note: \(note)") }
        let checked = "\(report.segmentsChecked) segments, \(report.blocksChecked) blocks, "
            + "\(report.rowsChecked) rows and \(report.walRecordsChecked) log records checked"
        guard report.isClean else {
            for problem in report.problems { print(problem) }
            print("\(database): \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s") found; \(checked)")
            throw ExitCode(1)
        }
        print("\(database): ok; \(checked)")
    }
}
