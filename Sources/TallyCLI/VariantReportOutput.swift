import Tally

/// A ``VariantReport`` for people (a header, then per metric a table of the variants, the control
/// first) and for programs (one JSON object); and the list of experiments. Used by `tally report`
/// and by `tally demo`, which print the same thing.
enum VariantReportOutput {
    /// The metrics of `report` in the order given, or by name when `requested` is `nil`.
    static func metrics(of report: VariantReport, requested: [String]?) -> [String] {
        requested ?? (report.variants.first?.metrics.keys).map { $0.sorted() } ?? []
    }

    static func table(_ report: VariantReport, metrics: [String], weights: [Double]? = nil) -> String {
        let split = weights.map { weights in
            "weights " + zip(byName(report.variants), weights).map { "\($0.name) \(formatNumber($1))" }.joined(separator: ", ")
        } ?? "equal weights"
        var sections = [
            "experiment \(report.experiment): \(report.units) units exposed (exact) in \(report.variants.count) variants, "
                + "control \"\(report.control)\"\n"
                + "sample-ratio mismatch p = \(report.sampleRatioPValue.map(pValue) ?? "-") (\(split)), "
                + "\(report.conflicts) conflicting exposures ignored"
        ]
        for metric in metrics {
            sections.append("\(metric): rate = units with an event / units exposed (two-proportion z-test)\n" + rateTable(report, metric))
            // A metric whose events carry no values has no meaningful mean.
            if report.variants.contains(where: { ($0.metrics[metric]?.sum ?? 0) != 0 }) {
                sections.append("\(metric): mean = sum of values / units exposed (Welch's t-test)\n" + meanTable(report, metric))
            }
        }
        if metrics.isEmpty { sections.append("(no metrics credited in this experiment)") }
        sections.append("Differences are against the control; 95% confidence intervals; pp = percentage points.")
        return sections.joined(separator: "\n\n")
    }

    private static func rateTable(_ report: VariantReport, _ metric: String) -> String {
        var table = TableRenderer([
            ("variant", .left), ("exposed", .right), ("units", .right), ("events", .right), ("rate", .right),
            ("vs control", .right), ("lift", .right), ("95% CI", .right), ("p", .right),
        ])
        for variant in report.variants {
            guard let result = variant.metrics[metric] else { continue }
            table.append([
                variant.name, String(variant.units), String(result.units), String(result.events), percent(result.rate),
                result.rateDifference.map(points) ?? "-", result.rateLift.map(signedPercent) ?? "-",
                result.rateConfidenceInterval.map { "[\(points($0.lowerBound)), \(points($0.upperBound))]" } ?? "-",
                result.ratePValue.map(pValue) ?? "-",
            ])
        }
        return table.rendered
    }

    private static func meanTable(_ report: VariantReport, _ metric: String) -> String {
        var table = TableRenderer([
            ("variant", .left), ("exposed", .right), ("sum", .right), ("mean", .right), ("vs control", .right),
            ("95% CI", .right), ("p", .right),
        ])
        for variant in report.variants {
            guard let result = variant.metrics[metric] else { continue }
            table.append([
                variant.name, String(variant.units), formatNumber(result.sum), formatNumber(result.mean),
                result.meanDifference.map(signed) ?? "-",
                result.meanConfidenceInterval.map { "[\(signed($0.lowerBound)), \(signed($0.upperBound))]" } ?? "-",
                result.meanPValue.map(pValue) ?? "-",
            ])
        }
        return table.rendered
    }

    /// The shape of issue 4: comparison members are `null` for the control (and when undefined).
    static func json(_ report: VariantReport, metrics: [String]) -> JSONValue {
        func interval(_ range: ClosedRange<Double>?) -> JSONValue {
            range.map { .array([.number($0.lowerBound), .number($0.upperBound)]) } ?? .null
        }
        return .object([
            ("experiment", .string(report.experiment)), ("control", .string(report.control)),
            ("units", .unsigned(report.units)), ("conflicts", .unsigned(report.conflicts)),
            ("srm_p_value", .optional(report.sampleRatioPValue)),
            ("variants", .array(report.variants.map { variant in
                .object([
                    ("variant", .string(variant.name)), ("units", .unsigned(variant.units)),
                    ("metrics", .object(metrics.compactMap { metric in
                        variant.metrics[metric].map { result in
                            (metric, .object([
                                ("units", .unsigned(result.units)), ("events", .unsigned(result.events)),
                                ("sum", .number(result.sum)), ("rate", .number(result.rate)), ("mean", .number(result.mean)),
                                ("rate_diff", .optional(result.rateDifference)), ("rate_lift", .optional(result.rateLift)),
                                ("rate_ci", interval(result.rateConfidenceInterval)),
                                ("rate_p_value", .optional(result.ratePValue)),
                                ("mean_diff", .optional(result.meanDifference)),
                                ("mean_ci", interval(result.meanConfidenceInterval)),
                                ("mean_p_value", .optional(result.meanPValue)),
                            ]))
                        }
                    })),
                ])
            })),
        ])
    }

    /// The experiments, each described by a report without metrics; variants in name order
    /// (the order `--weights` follows).
    static func listingTable(_ reports: [VariantReport]) -> String {
        var table = TableRenderer([
            ("experiment", .left), ("units", .right), ("conflicts", .right), ("sample-ratio p", .right),
            ("variants (units)", .left),
        ])
        for report in reports {
            table.append([
                report.experiment, String(report.units), String(report.conflicts),
                report.sampleRatioPValue.map(pValue) ?? "-",
                byName(report.variants).map { "\($0.name) \($0.units)" }.joined(separator: ", "),
            ])
        }
        var lines = [table.rendered]
        if reports.isEmpty { lines.append("(no experiments: no exposure events with an experiment and a variant)") }
        return lines.joined(separator: "\n")
    }

    /// `{"experiment":E,"units":N,"conflicts":N,"srm_p_value":x,"variants":[{"variant":V,"units":N},…]}`.
    static func listingJSON(_ report: VariantReport) -> JSONValue {
        .object([
            ("experiment", .string(report.experiment)), ("units", .unsigned(report.units)),
            ("conflicts", .unsigned(report.conflicts)), ("srm_p_value", .optional(report.sampleRatioPValue)),
            ("variants", .array(byName(report.variants).map { variant in
                .object([("variant", .string(variant.name)), ("units", .unsigned(variant.units))])
            })),
        ])
    }

    private static func byName(_ variants: [VariantReport.Variant]) -> [VariantReport.Variant] {
        variants.sorted { $0.name < $1.name }
    }

    private static func percent(_ rate: Double) -> String { formatNumber(rate * 100, decimals: 2) + "%" }

    private static func signedPercent(_ fraction: Double) -> String {
        fraction.isFinite ? (fraction >= 0 ? "+" : "") + formatNumber(fraction * 100, decimals: 1) + "%" : "-"
    }

    private static func points(_ difference: Double) -> String {
        (difference >= 0 ? "+" : "") + formatNumber(difference * 100, decimals: 2) + "pp"
    }

    private static func signed(_ value: Double) -> String { (value >= 0 ? "+" : "") + formatNumber(value) }

    private static func pValue(_ p: Double) -> String { p < 0.0001 ? "<0.0001" : formatNumber(p, decimals: 4) }
}
