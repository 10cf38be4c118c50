/// The A/B report of one experiment (PRODUCT.md, "Attribution rule"): exact unit counts per
/// variant and, per metric, the comparison of each variant with the control.
public struct VariantReport: Sendable, Equatable {
    public var experiment: String
    public var control: String
    /// Units exposed across all variants.
    public var units: UInt64
    /// Exposures of an already-assigned unit to a different variant (ignored for attribution).
    public var conflicts: UInt64
    /// Chi-square goodness-of-fit p-value of the split of units across variants against the
    /// weights (equal unless given): a small value signals a sample-ratio mismatch.
    public var sampleRatioPValue: Double?
    /// Sorted by variant name, control first.
    public var variants: [Variant]

    public struct Variant: Sendable, Equatable {
        public var name: String
        public var units: UInt64
        /// By metric name.
        public var metrics: [String: MetricResult]
    }

    public struct MetricResult: Sendable, Equatable {
        /// Exposed units with at least one credited event.
        public var units: UInt64
        public var events: UInt64
        /// Sum of credited values.
        public var sum: Double
        /// Units with the metric over units exposed.
        public var rate: Double
        /// Sum of values per exposed unit.
        public var mean: Double
        /// Comparison with the control (`nil` for the control itself, or when undefined).
        public var rateDifference: Double?
        public var rateLift: Double?
        public var rateConfidenceInterval: ClosedRange<Double>?
        public var ratePValue: Double?
        public var meanDifference: Double?
        public var meanConfidenceInterval: ClosedRange<Double>?
        public var meanPValue: Double?
    }
}

/// One experiment as listed by ``Tally/experiments()``.
public struct ExperimentSummary: Sendable, Equatable {
    public var name: String
    public var units: UInt64
    /// In order of first exposure.
    public var variants: [String]
    public var conflicts: UInt64
}

extension Tally {
    /// The variant report of `experiment`. `metrics` defaults to every metric credited in the
    /// experiment; `control` to the variant named `control`, else the first in name order;
    /// `weights` (one per variant, in name order) to equal weights.
    public func variantReport(
        experiment: String, metrics: [String]? = nil, control: String? = nil, weights: [Double]? = nil
    ) throws -> VariantReport {
        try engine.variantReport(experiment: experiment, metrics: metrics, control: control, weights: weights)
    }

    /// Every experiment with exposures, by name.
    public func experiments() throws -> [ExperimentSummary] {
        try engine.experimentSummaries()
    }
}
