import Foundation

/// The independent computation that `tally report --format json` is compared with: the
/// attribution rule of PRODUCT.md applied by brute force to events in the order they were
/// ingested (the order of the NDJSON lines, for an import).
///
/// - A unit's variant in experiment E is the variant of its first exposure to E (metric
///   `exposure` with dimensions `experiment` and `variant`); a later exposure to another variant
///   is a conflict and is otherwise ignored.
/// - Any other event of that unit is credited to (E, variant) when the unit was already assigned
///   in E at that point of the stream and the event's `ts` is not earlier than the first exposure.
struct ExperimentOracle {
    struct MetricTotals: Equatable, CustomStringConvertible {
        var units: Set<String> = []
        var events = 0
        var sum = 0.0
        var description: String { "units \(units.count) events \(events) sum \(sum)" }
    }

    struct Experiment {
        /// Every variant named by an exposure (also by a conflicting one).
        var variants: Set<String> = []
        var assignment: [String: (variant: String, firstExposure: Int64)] = [:]
        var conflicts = 0
        /// By variant, then metric.
        var credited: [String: [String: MetricTotals]] = [:]

        func units(of variant: String) -> Int { assignment.values.filter { $0.variant == variant }.count }

        /// Metrics with at least one credited event, by name.
        var metrics: [String] { Set(credited.values.flatMap(\.keys)).sorted() }
    }

    private(set) var experiments: [String: Experiment] = [:]

    init(_ events: [OracleEvent]) {
        var assignedIn: [String: [String]] = [:]  // unit → experiments it is assigned in
        for event in events {
            guard let unit = event.unit else { continue }
            if event.metric == "exposure" {
                guard let name = event.dimensions["experiment"], let variant = event.dimensions["variant"] else { continue }
                var experiment = experiments[name, default: Experiment()]
                experiment.variants.insert(variant)
                if let existing = experiment.assignment[unit] {
                    if existing.variant != variant { experiment.conflicts += 1 }
                } else {
                    experiment.assignment[unit] = (variant, event.timestamp)
                    assignedIn[unit, default: []].append(name)
                }
                experiments[name] = experiment
                continue
            }
            for name in assignedIn[unit] ?? [] {
                let (variant, firstExposure) = experiments[name]!.assignment[unit]!
                guard event.timestamp >= firstExposure else { continue }
                var totals = experiments[name]!.credited[variant, default: [:]][event.metric, default: MetricTotals()]
                totals.units.insert(unit)
                totals.events += 1
                totals.sum += event.value ?? 0
                experiments[name]!.credited[variant, default: [:]][event.metric] = totals
            }
        }
    }

    /// Differences between one `tally report --format json` object and the oracle: unit counts
    /// per variant, conflicts, and per metric units, events and sums, all exactly; rates and
    /// means as those counts divided; the control's comparison members null and the others'
    /// present. Empty when equal.
    func mismatches(report object: [String: Any], experiment name: String, metrics: [String]? = nil) -> [String] {
        guard let experiment = experiments[name] else { return ["the oracle has no experiment \(name)"] }
        var problems: [String] = []
        func int(_ value: Any?) -> Int? { (value as? NSNumber)?.intValue }
        func double(_ value: Any?) -> Double? { NDJSONOracle.exactDouble(value) }
        if object["experiment"] as? String != name { problems.append("experiment \(String(describing: object["experiment"]))") }
        if int(object["units"]) != experiment.assignment.count {
            problems.append("units \(String(describing: object["units"])) != \(experiment.assignment.count)")
        }
        if int(object["conflicts"]) != experiment.conflicts {
            problems.append("conflicts \(String(describing: object["conflicts"])) != \(experiment.conflicts)")
        }
        let control = object["control"] as? String ?? "?"
        let variants = object["variants"] as? [[String: Any]] ?? []
        let names = variants.compactMap { $0["variant"] as? String }
        if names != [control] + experiment.variants.subtracting([control]).sorted() {
            problems.append("variants \(names), control \(control); expected \(experiment.variants.sorted())")
        }
        let expectedMetrics = metrics ?? experiment.metrics
        for variant in variants {
            let variantName = variant["variant"] as? String ?? "?"
            let exposed = experiment.units(of: variantName)
            if int(variant["units"]) != exposed {
                problems.append("\(variantName): units \(String(describing: variant["units"])) != \(exposed)")
            }
            let reported = variant["metrics"] as? [String: Any] ?? [:]
            if Set(reported.keys) != Set(expectedMetrics) {
                problems.append("\(variantName): metrics \(reported.keys.sorted()) != \(expectedMetrics)")
            }
            for metric in expectedMetrics {
                guard let result = reported[metric] as? [String: Any] else { continue }
                let want = experiment.credited[variantName]?[metric] ?? MetricTotals()
                let label = "\(name)/\(variantName)/\(metric)"
                if int(result["units"]) != want.units.count || int(result["events"]) != want.events || double(result["sum"]) != want.sum {
                    problems.append("\(label): units \(result["units"] ?? "-") events \(result["events"] ?? "-") sum \(result["sum"] ?? "-"); expected \(want)")
                }
                if double(result["rate"]) != Double(want.units.count) / Double(exposed)
                    || double(result["mean"]) != want.sum / Double(exposed) {
                    problems.append("\(label): rate \(result["rate"] ?? "-") mean \(result["mean"] ?? "-")")
                }
                let comparisons = ["rate_diff", "rate_lift", "rate_ci", "rate_p_value", "mean_diff", "mean_ci", "mean_p_value"]
                for member in comparisons {
                    guard let value = result[member] else {
                        problems.append("\(label): no member \(member)")
                        continue
                    }
                    if variantName == control, !(value is NSNull) { problems.append("\(label): \(member) is not null for the control") }
                }
                if variantName != control, result["rate_diff"] is NSNull || result["rate_p_value"] is NSNull {
                    problems.append("\(label): no rate comparison")
                }
            }
        }
        return problems
    }
}
