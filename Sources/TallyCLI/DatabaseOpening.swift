import Tally

/// How commands open databases.
enum DatabaseOpening {
    /// Opens an existing database without writing and without taking the writer's lock, so it
    /// works while another process (such as `tally import`) writes. The handle sees the state
    /// committed when it was opened.
    static func readOnly(_ path: String) throws -> Tally {
        var options = Options()
        options.readOnly = true
        options.createIfMissing = false
        return try Tally.open(at: path, options: options)
    }
}
