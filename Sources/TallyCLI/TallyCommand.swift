import ArgumentParser

/// The `tally` command. Each subcommand parses its arguments and calls the public `Tally` API;
/// nothing here reaches into the engine, so everything the CLI does a Swift caller can do too.
///
/// Output contract: results go to standard output; errors, progress and notes go to standard
/// error; a failure exits non-zero (1 for errors and damage found, 64 for bad usage).
@main
struct TallyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally",
        abstract: "Import, query, report on, inspect, verify, expire and compact Tally analytics databases.",
        discussion: """
            Times (T) are epoch milliseconds, YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SSZ (UTC). Durations \
            are a whole number and m, h, d or w (minutes, hours, days, weeks), e.g. 30d.
            """,
        subcommands: [
            DemoCommand.self,
            ImportCommand.self,
            QueryCommand.self,
            ReportCommand.self,
            InfoCommand.self,
            DumpCommand.self,
            VerifyCommand.self,
            RetentionCommand.self,
            CompactCommand.self,
            GenerateCommand.self,
        ]
    )
}
