#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Tally

/// The illustrative questions `tally demo` asks, each shown with the `tally query` command that
/// asks it, so the output doubles as a tutorial.
enum DemoQueries {
    static func show(_ database: Tally, path: String, start: Int64) throws {
        var firstWeek = TimeArgument.format(start + 7 * 86_400_000)
        if firstWeek.hasSuffix("T00:00:00Z") { firstWeek = String(firstWeek.prefix(10)) }
        try ask(
            database, "Daily pageviews and sessions, first week:",
            Query(metric: "pageview", every: .day, to: start + 7 * 86_400_000, measures: [.count, .units]),
            arguments: "pageview --every day --measures count,units --to \(firstWeek)", path: path)
        try ask(
            database, "Top traffic sources by sessions:",
            Query(metric: "pageview", groupBy: ["utm_source"], measures: [.count, .units]),
            arguments: "pageview --by utm_source --measures count,units", path: path,
            top: 5, by: { $0.units ?? 0 })
        try ask(
            database, "Purchases by country, by revenue:",
            Query(metric: "purchase", groupBy: ["country"], measures: [.count, .sum, .mean]),
            arguments: "purchase --by country --measures count,sum,mean", path: path,
            top: 5, by: { $0.sum })
        try ask(
            database, "Experiment checkout_button: sessions exposed per variant:",
            Query(metric: "exposure", filters: ["experiment": ["checkout_button"]], groupBy: ["variant"], measures: [.units]),
            arguments: "exposure --where experiment=checkout_button --by variant --measures units", path: path)
        try showVariantReport(database, path: path)
    }

    /// The A/B report of one experiment, from the attribution state kept at ingest: what
    /// `tally report` prints.
    private static func showVariantReport(_ database: Tally, path: String) throws {
        let experiments = try database.experiments().map(\.name)
        guard let experiment = experiments.first(where: { $0 == "checkout_button" }) ?? experiments.first else { return }
        let metrics = ["conversion", "purchase"]
        let report = try database.variantReport(experiment: experiment, metrics: metrics)
        print("")
        print("A/B report for \(experiment):")
        print("$ \(invocation()) report \(shellQuoted(path)) \(shellQuoted(experiment)) --metrics \(metrics.joined(separator: ","))")
        print(VariantReportOutput.table(report, metrics: metrics))
    }

    /// Commands worth running next, spelled with the path this binary was invoked by.
    static func explorationCommands(path: String) -> [String] {
        let tally = invocation()
        let database = shellQuoted(path)
        return [
            "\(tally) info \(database)",
            "\(tally) report \(database)",
            "\(tally) report \(database) pricing_page --format json",
            "\(tally) query \(database) purchase --by device --every day --measures count,sum,mean --format csv",
            "\(tally) query \(database) conversion --where country=US,DE --by utm_source --measures count,units",
            "\(tally) dump \(database) --segments",
            "\(tally) verify \(database)",
        ]
    }

    private static func ask(
        _ database: Tally, _ title: String, _ query: Query, arguments: String, path: String,
        top: Int? = nil, by rank: ((QueryRow) -> Double)? = nil
    ) throws {
        var result = try database.query(query)
        var shown = "\(invocation()) query \(shellQuoted(path)) \(arguments)"
        if let top, let rank {
            result.rows = Array(result.rows.sorted { rank($0) > rank($1) }.prefix(top))
            shown += "   # top \(top) shown"
        }
        print("")
        print(title)
        print("$ " + shown)
        print(QueryOutput.table(result, every: query.every))
    }

    /// `argv[0]` when it is a path (relative to the working directory when inside it), else `tally`.
    private static func invocation() -> String {
        let argument0 = CommandLine.arguments.first ?? "tally"
        guard argument0.contains("/") else { return "tally" }
        if let cwd = getcwd(nil, 0) {
            defer { free(cwd) }
            let directory = String(cString: cwd) + "/"
            if argument0.hasPrefix(directory) { return shellQuoted(String(argument0.dropFirst(directory.count))) }
        }
        return shellQuoted(argument0)
    }

    /// Single-quoted when the text has anything but letters, digits and `/._-+=:,@`.
    static func shellQuoted(_ text: String) -> String {
        let safe = text.unicodeScalars.allSatisfy { scalar in
            (scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)))
                || "/._-+=:,@".unicodeScalars.contains(scalar)
        }
        return safe && !text.isEmpty ? text : "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
