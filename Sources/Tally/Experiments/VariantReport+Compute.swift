/// Builds a ``VariantReport`` from the experiment aggregates (statistics in `Statistics.swift`).
extension VariantReport {
    init(state: ExperimentState, experiment: String, metrics requested: [String]?, control: String?, weights: [Double]?) throws {
        guard let experimentID = state.experimentIDs[experiment] else {
            throw TallyError.invalid("no exposures to experiment \"\(experiment)\"")
        }
        let e = Int(experimentID)
        let names = state.variants[e]
        let byName = names.indices.sorted { names[$0] < names[$1] }
        let controlIndex: Int
        if let control {
            guard let index = names.firstIndex(of: control) else {
                throw TallyError.invalid("experiment \"\(experiment)\" has no variant \"\(control)\"")
            }
            controlIndex = index
        } else {
            controlIndex = names.firstIndex(of: "control") ?? byName[0]
        }
        var credited = Set<UInt16>()
        for key in state.stats.keys where key.experiment == experimentID { credited.insert(key.metric) }
        let metricNames = requested ?? credited.map { state.metrics[Int($0)] }.sorted()
        if let weights {
            guard weights.count == names.count, weights.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw TallyError.invalid(
                    "give one positive weight per variant (\(names.count): \(byName.map { names[$0] }.joined(separator: ", ")))")
            }
        }
        let exposed = state.exposed[e]
        func stats(_ variant: Int, _ metric: String) -> ExperimentState.MetricStats {
            guard let m = state.metricIDs[metric] else { return .init() }
            return state.stats[.init(experiment: experimentID, variant: UInt16(variant), metric: m)] ?? .init()
        }
        let order = [controlIndex] + byName.filter { $0 != controlIndex }
        self.experiment = experiment
        self.control = names[controlIndex]
        units = exposed.reduce(0, +)
        conflicts = state.conflicts[e]
        sampleRatioPValue = chiSquareGoodnessOfFit(observed: byName.map { Int(exposed[$0]) }, weights: weights)
        variants = order.map { v in
            var results: [String: MetricResult] = [:]
            for metric in metricNames {
                results[metric] = MetricResult(
                    variant: stats(v, metric), exposed: exposed[v],
                    control: v == controlIndex ? nil : (stats(controlIndex, metric), exposed[controlIndex]))
            }
            return Variant(name: names[v], units: exposed[v], metrics: results)
        }
    }
}

extension VariantReport.MetricResult {
    init(variant: ExperimentState.MetricStats, exposed: UInt64, control: (ExperimentState.MetricStats, UInt64)?) {
        units = variant.units
        events = variant.events
        sum = variant.sum
        rate = exposed == 0 ? 0 : Double(variant.units) / Double(exposed)
        mean = exposed == 0 ? 0 : variant.sum / Double(exposed)
        guard let (controlStats, controlExposed) = control else { return }
        if let rates = twoProportionZTest(
            controlSuccesses: Int(controlStats.units), controlTotal: Int(controlExposed),
            treatmentSuccesses: Int(variant.units), treatmentTotal: Int(exposed)) {
            rateDifference = rates.difference
            rateLift = rates.relativeLift
            rateConfidenceInterval = rates.confidenceInterval.lower...rates.confidenceInterval.upper
            ratePValue = rates.pValue
        }
        if let means = welchTTest(
            control: SampleMoments(count: Int(controlExposed), sum: controlStats.sum, sumOfSquares: controlStats.sumOfSquares),
            treatment: SampleMoments(count: Int(exposed), sum: variant.sum, sumOfSquares: variant.sumOfSquares)) {
            meanDifference = means.difference
            meanConfidenceInterval = means.confidenceInterval.lower...means.confidenceInterval.upper
            meanPValue = means.pValue
        }
    }
}
