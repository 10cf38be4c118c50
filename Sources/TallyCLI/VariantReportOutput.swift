import Tally

/// A ``VariantReport`` as a table for people: one row per (variant, metric), the control first.
/// Written for `tally demo`; `tally report` (issue 4) can print the same table.
enum VariantReportOutput {
    static func table(_ report: VariantReport, metrics: [String]) -> String {
        var lines = [
            "experiment \(report.experiment): \(report.units) units exposed (exact), control \"\(report.control)\", "
                + "\(report.conflicts) conflicting exposures, sample-ratio p = \(report.sampleRatioPValue.map(pValue) ?? "-")"
        ]
        var table = TableRenderer([
            ("variant", .left), ("exposed", .right), ("metric", .left), ("units", .right), ("events", .right),
            ("rate", .right), ("vs control", .right), ("95% CI", .right), ("p", .right),
            ("mean", .right), ("vs control", .right), ("95% CI", .right), ("p", .right),
        ])
        // A metric whose events carry no values has no meaningful mean: its columns show `-`.
        let valued = Set(metrics.filter { metric in report.variants.contains { ($0.metrics[metric]?.sum ?? 0) != 0 } })
        for variant in report.variants {
            for metric in metrics {
                guard let result = variant.metrics[metric] else { continue }
                let means = valued.contains(metric)
                table.append([
                    variant.name, String(variant.units), metric, String(result.units), String(result.events),
                    percent(result.rate), result.rateDifference.map(points) ?? "-",
                    result.rateConfidenceInterval.map { "[\(points($0.lowerBound)), \(points($0.upperBound))]" } ?? "-",
                    result.ratePValue.map(pValue) ?? "-",
                    means ? formatNumber(result.mean) : "-", (means ? result.meanDifference.map(signed) : nil) ?? "-",
                    (means ? result.meanConfidenceInterval : nil).map { "[\(signed($0.lowerBound)), \(signed($0.upperBound))]" } ?? "-",
                    (means ? result.meanPValue : nil).map(pValue) ?? "-",
                ])
            }
        }
        lines.append(table.rendered)
        lines.append(
            "rate: units with the metric / units exposed (two-proportion z-test); mean: sum of values per exposed "
                + "unit (Welch's t-test); differences are against the control, rates in percentage points")
        return lines.joined(separator: "\n")
    }

    private static func percent(_ rate: Double) -> String { formatNumber(rate * 100, decimals: 2) + "%" }

    private static func points(_ difference: Double) -> String {
        (difference >= 0 ? "+" : "") + formatNumber(difference * 100, decimals: 2) + "pp"
    }

    private static func signed(_ value: Double) -> String { (value >= 0 ? "+" : "") + formatNumber(value) }

    private static func pValue(_ p: Double) -> String { p < 0.0001 ? "<0.0001" : formatNumber(p, decimals: 4) }
}
