import ArgumentParser
import Tally

/// `tally report DB [EXPERIMENT]`: the A/B report of one experiment (`Tally.variantReport`), or
/// without an experiment the list of experiments. Read-only, so it works beside a writer.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Show the A/B report of an experiment, or list the experiments.",
        discussion: """
            A unit belongs to the variant of its first exposure to the experiment; a later exposure \
            to another variant is a conflict and is ignored. An event is credited to the unit's \
            variant when it was ingested after that exposure and its time is not earlier. Unit \
            counts are exact. Per metric: rate = units with a credited event / units exposed \
            (two-proportion z-test against the control), mean = sum of credited values / units \
            exposed (Welch's t-test); 95% confidence intervals; a chi-square sample-ratio check.
            
            Without an experiment, JSON is one object per experiment:
            {"experiment":E,"units":N,"conflicts":N,"srm_p_value":x,
            "variants":[{"variant":V,"units":N},…]}

            With one, JSON is one object, with the comparison members null for the control:
            {"experiment":E,"control":V,"units":N,"conflicts":N,"srm_p_value":x,"variants":[{"variant":V,\
            "units":N,"metrics":{M:{"units":N,"events":N,"sum":x,"rate":x,"mean":x,"rate_diff":x,\
            "rate_lift":x,"rate_ci":[lo,hi],"rate_p_value":x,"mean_diff":x,"mean_ci":[lo,hi],\
            "mean_p_value":x},…}},…]}
            """)

    @Argument(help: "The database file.")
    var database: String

    @Argument(help: "The experiment to report on; without it, the experiments are listed.")
    var experiment: String?

    @Option(help: "Comma-separated metrics to report (default: every metric credited in the experiment).", transform: NameList.parse)
    var metrics: [String]?

    @Option(help: "The variant the others are compared with (default: the one named control, else the first by name).")
    var control: String?

    @Option(help: "The expected split for the sample-ratio check: one positive number per variant, in variant name order, e.g. 50,50 (default: equal).", transform: WeightList.parse)
    var weights: [Double]?

    @Option(help: "table or json.")
    var format: DisplayFormat = .table

    func validate() throws {
        if experiment == nil, metrics != nil || control != nil || weights != nil {
            throw ValidationError("--metrics, --control and --weights go with an experiment")
        }
    }

    func run() throws {
        let handle = try DatabaseOpening.readOnly(database)
        defer { try? handle.close() }
        let experiments = try handle.experiments()
        guard let experiment else {
            let reports = try experiments.map { try handle.variantReport(experiment: $0.name, metrics: []) }
            switch format {
            case .table: print(VariantReportOutput.listingTable(reports))
            case .json: for report in reports { print(VariantReportOutput.listingJSON(report).serialized) }
            }
            return
        }
        guard let summary = experiments.first(where: { $0.name == experiment }) else {
            let known = experiments.isEmpty
                ? "it has no experiments" : "its experiments: " + experiments.map(\.name).joined(separator: ", ")
            throw CommandError("\(database) has no exposures to experiment \"\(experiment)\"; \(known)")
        }
        let variants = summary.variants.sorted()
        if let weights, weights.count != variants.count {
            throw CommandError(
                "--weights gives \(weights.count) weight\(weights.count == 1 ? "" : "s") but experiment \"\(experiment)\" has "
                    + "\(variants.count) variants; give one per variant, in this order: \(variants.joined(separator: ", "))")
        }
        let report: VariantReport
        do {
            report = try handle.variantReport(experiment: experiment, metrics: metrics, control: control, weights: weights)
        } catch let error as TallyError where error.code == .invalidArgument {
            let unknownControl = control.map { !summary.variants.contains($0) } ?? false
            throw CommandError(
                error.message + (unknownControl ? "; its variants: " + variants.joined(separator: ", ") : ""))
        }
        let shown = VariantReportOutput.metrics(of: report, requested: metrics)
        for metric in shown where report.variants.allSatisfy({ ($0.metrics[metric]?.events ?? 0) == 0 }) {
            Terminal.note("note: no events of metric \(metric) are credited in experiment \(experiment)")
        }
        switch format {
        case .table: print(VariantReportOutput.table(report, metrics: shown, weights: weights))
        case .json: print(VariantReportOutput.json(report, metrics: shown).serialized)
        }
    }
}

/// `--metrics a,b`: names, in the order given, without repeats.
enum NameList {
    @Sendable
    static func parse(_ text: String) throws -> [String] {
        var names: [String] = []
        for name in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard !name.isEmpty else { throw ValidationError("'\(text)' has an empty name: use NAME[,NAME…]") }
            if !names.contains(name) { names.append(name) }
        }
        return names
    }
}

/// `--weights 50,50`: positive finite numbers.
enum WeightList {
    @Sendable
    static func parse(_ text: String) throws -> [Double] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            guard let weight = Double(part), weight.isFinite, weight > 0 else {
                throw ValidationError("'\(text)' is not a list of positive weights, e.g. 50,50")
            }
            return weight
        }
    }
}
