extension ExperimentState {
    /// What one batch's strings mean to attribution, each resolved at most once per batch and
    /// string index: whether it is the exposure metric, the experiment or the variant key; a
    /// unit's first assignment; a metric's or an experiment's id. Strings are resolved lazily,
    /// in event order, so ids are created in the order a per-event lookup would create them.
    struct BatchRoles {
        /// `both` when the experiment and variant keys are configured as the same name.
        enum DimensionRole { case other, experiment, variant, both }

        private struct Resolved {
            static let unknownAssignment = UInt32.max - 1
            /// `unknownAssignment` until looked up; `.max` when the unit has no assignment.
            var firstAssignment = unknownAssignment
            /// -1 until looked up.
            var metricID: Int32 = -1
            var experimentID: Int32 = -1
            var isExposure: Bool?
            var dimensionRole: DimensionRole?
        }

        private let strings: [String]
        private let exposureMetric: String
        private let experimentDimension: String
        private let variantDimension: String
        private var resolved: [Resolved]
        /// False only when the batch holds no string equal to the exposure metric.
        let hasExposures: Bool

        init(_ batch: EventBatch, for state: ExperimentState) {
            strings = batch.strings
            exposureMetric = state.exposureMetric
            experimentDimension = state.experimentDimension
            variantDimension = state.variantDimension
            resolved = Array(repeating: Resolved(), count: batch.strings.count)
            hasExposures = batch.strings.contains(state.exposureMetric)
        }

        mutating func firstAssignment(ofUnit unit: UInt32, in state: inout ExperimentState) -> UInt32 {
            let i = Int(unit)
            if resolved[i].firstAssignment == Resolved.unknownAssignment {
                resolved[i].firstAssignment = state.firstAssignment(of: strings[i])
            }
            return resolved[i].firstAssignment
        }

        mutating func setFirstAssignment(_ assignment: UInt32, ofUnit unit: UInt32) {
            resolved[Int(unit)].firstAssignment = assignment
        }

        mutating func isExposure(_ metric: UInt32) -> Bool {
            let i = Int(metric)
            if let known = resolved[i].isExposure { return known }
            let isExposure = strings[i] == exposureMetric
            resolved[i].isExposure = isExposure
            return isExposure
        }

        mutating func dimensionRole(of key: UInt32) -> DimensionRole {
            let i = Int(key)
            if let known = resolved[i].dimensionRole { return known }
            let role: DimensionRole = switch (strings[i] == experimentDimension, strings[i] == variantDimension) {
            case (true, true): .both
            case (true, false): .experiment
            case (false, true): .variant
            case (false, false): .other
            }
            resolved[i].dimensionRole = role
            return role
        }

        mutating func metricID(of metric: UInt32, in state: inout ExperimentState) -> UInt16 {
            let i = Int(metric)
            if resolved[i].metricID < 0 { resolved[i].metricID = Int32(state.metricID(strings[i])) }
            return UInt16(resolved[i].metricID)
        }

        mutating func experimentID(of name: UInt32, in state: inout ExperimentState) -> UInt16 {
            let i = Int(name)
            if resolved[i].experimentID < 0 { resolved[i].experimentID = Int32(state.experimentID(strings[i])) }
            return UInt16(resolved[i].experimentID)
        }
    }
}
