import Tally

/// How commands open databases.
enum DatabaseOpening {
    /// Opens an existing database without writing and without taking the writer's lock, so it
    /// works while another process (such as `tally import`) writes. The handle sees the state
    /// committed when it was opened. Commands that do not report on experiments pass
    /// `experiments: false`, which skips loading the experiment state (faster).
    static func readOnly(_ path: String, experiments: Bool = true) throws -> Tally {
        var options = Options()
        options.readOnly = true
        options.loadsExperimentState = experiments
        options.createIfMissing = false
        return try Tally.open(at: path, options: options)
    }

    /// Opens an existing database as its one writer (the options stored in the file apply).
    /// When another process holds the writer's lock, throws a ``CommandError`` that says what
    /// `action` needed it and repeats the library's message, which names the holder.
    static func writer(_ path: String, for action: String) throws -> Tally {
        var options = Options()
        options.createIfMissing = false
        do {
            return try Tally.open(at: path, options: options)
        } catch let error as TallyError where error.code == .locked {
            throw CommandError("cannot \(action): \(error.message) [\(error.path ?? path)]")
        }
    }
}
