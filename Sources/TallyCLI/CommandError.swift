/// A failure the command explains in one sentence; printed as `Error: <description>` on
/// standard error with exit status 1. (Bad usage is `ValidationError`, which adds the usage.)
struct CommandError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
