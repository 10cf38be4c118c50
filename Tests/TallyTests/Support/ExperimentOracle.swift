@testable import Tally

/// The attribution rule applied by brute force to events in ingest order: the independent
/// computation the variant report is compared with.
struct ExperimentOracle {
    struct Cell: Equatable {
        var units = 0
        var events = 0
        var sum = 0.0
    }

    /// experiment → unit → (variant, first exposure ts)
    var assignment: [String: [String: (variant: String, since: Int64)]] = [:]
    var conflicts: [String: Int] = [:]
    /// (experiment, variant, metric) → units seen, events, sum
    var credited: [String: [String: [String: (units: Set<String>, events: Int, sum: Double)]]] = [:]

    mutating func ingest(_ events: [Event]) {
        for event in events {
            guard let unit = event.unit else { continue }
            if event.metric == "exposure" {
                guard let experiment = event.dimensions["experiment"], let variant = event.dimensions["variant"] else { continue }
                if let existing = assignment[experiment]?[unit] {
                    if existing.variant != variant { conflicts[experiment, default: 0] += 1 }
                } else {
                    assignment[experiment, default: [:]][unit] = (variant, event.timestamp)
                }
                continue
            }
            for (experiment, units) in assignment {
                guard let (variant, since) = units[unit], event.timestamp >= since else { continue }
                var entry = credited[experiment, default: [:]][variant, default: [:]][event.metric, default: ([], 0, 0)]
                entry.units.insert(unit)
                entry.events += 1
                entry.sum += event.value ?? 0
                credited[experiment, default: [:]][variant, default: [:]][event.metric] = entry
            }
        }
    }

    func exposed(_ experiment: String, _ variant: String) -> Int {
        assignment[experiment, default: [:]].values.filter { $0.variant == variant }.count
    }

    func cell(_ experiment: String, _ variant: String, _ metric: String) -> Cell {
        guard let entry = credited[experiment]?[variant]?[metric] else { return Cell() }
        return Cell(units: entry.units.count, events: entry.events, sum: entry.sum)
    }

    /// Mismatches between a report and the oracle (exact counts; sums to 1e-9 relative).
    func mismatches(_ report: VariantReport) -> [String] {
        var problems: [String] = []
        let e = report.experiment
        if report.conflicts != UInt64(conflicts[e] ?? 0) { problems.append("conflicts \(report.conflicts) != \(conflicts[e] ?? 0)") }
        for variant in report.variants {
            if variant.units != UInt64(exposed(e, variant.name)) {
                problems.append("\(variant.name): units \(variant.units) != \(exposed(e, variant.name))")
            }
            for (metric, result) in variant.metrics {
                let want = cell(e, variant.name, metric)
                if result.units != UInt64(want.units) || result.events != UInt64(want.events)
                    || abs(result.sum - want.sum) > 1e-9 * max(1, abs(want.sum)) {
                    problems.append("\(variant.name)/\(metric): \(result.units)/\(result.events)/\(result.sum) != \(want)")
                }
            }
        }
        return problems
    }
}
