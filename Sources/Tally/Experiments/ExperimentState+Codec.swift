/// Persistence of ``ExperimentState`` (format-spec.md, "Experiment state").
///
/// Each flush that changed the state appends one block of kind `experimentState` and lists it
/// in the catalog. A block holds the full name tables and aggregates, and either every
/// assignment (a base) or only those changed since the previous block (a delta). Loading
/// applies the listed blocks in order; assignments are addressed by their index.
extension ExperimentState {
    static let codecVersion: UInt32 = 1
    /// Rule X5: no count in a block exceeds this, so sums of counts never overflow.
    static let maxCount: UInt64 = 1 << 48

    /// Encodes the state: every assignment when `full`, else only the dirty ones.
    func encode(full: Bool) -> [UInt8] {
        var writer = ByteWriter(capacity: 256 + (full ? assignments.count : dirty.count) * 24)
        writer.writeUInt32(ExperimentState.codecVersion)
        writer.writeUInt8(full ? 0 : 1)
        writer.writeVarint(UInt64(experiments.count))
        for (experiment, name) in experiments.enumerated() {
            writer.writeString(name)
            writer.writeVarint(conflicts[experiment])
            writer.writeVarint(UInt64(variants[experiment].count))
            for (variant, variantName) in variants[experiment].enumerated() {
                writer.writeString(variantName)
                writer.writeVarint(exposed[experiment][variant])
            }
        }
        writer.writeVarint(UInt64(metrics.count))
        for name in metrics { writer.writeString(name) }
        let statKeys = stats.keys.sorted { ($0.experiment, $0.variant, $0.metric) < ($1.experiment, $1.variant, $1.metric) }
        writer.writeVarint(UInt64(statKeys.count))
        for key in statKeys {
            let entry = stats[key]!
            writer.writeVarint(UInt64(key.experiment))
            writer.writeVarint(UInt64(key.variant))
            writer.writeVarint(UInt64(key.metric))
            writer.writeVarint(entry.units)
            writer.writeVarint(entry.events)
            writer.writeDouble(entry.sum)
            writer.writeDouble(entry.sumOfSquares)
        }
        var perAssignmentTotals: [UInt32: [(UInt16, Double)]] = [:]
        for (key, total) in totals { perAssignmentTotals[key.assignment, default: []].append((key.metric, total)) }
        // A block's mask holds metrics 0…63 (format-spec.md, the assignments row); an
        // assignment's in memory only the first `maskedMetrics`, the rest are in `extraCredited`.
        var perAssignmentExtra: [UInt32: [UInt16]] = [:]
        var perAssignmentHighMask: [UInt32: UInt64] = [:]
        for key in extraCredited {
            if key.metric < 64 {
                perAssignmentHighMask[key.assignment, default: 0] |= UInt64(1) << UInt64(key.metric)
            } else {
                perAssignmentExtra[key.assignment, default: []].append(key.metric)
            }
        }
        let indices = full ? Array(0..<UInt32(assignments.count)) : dirty.sorted()
        writer.writeVarint(UInt64(indices.count))
        for index in indices {
            let assignment = assignments[Int(index)]
            writer.writeVarint(UInt64(index))
            writer.writeString(unitIDs[Int(assignmentUnit[Int(index)])])
            writer.writeVarint(UInt64(assignment.experiment))
            writer.writeVarint(UInt64(assignment.variant))
            writer.writeSignedVarint(assignment.firstExposure)
            writer.writeVarint(UInt64(assignment.creditedMetrics) | (perAssignmentHighMask[index] ?? 0))
            let extra = (perAssignmentExtra[index] ?? []).sorted()
            writer.writeVarint(UInt64(extra.count))
            for metric in extra { writer.writeVarint(UInt64(metric)) }
            let sums = (perAssignmentTotals[index] ?? []).sorted { $0.0 < $1.0 }
            writer.writeVarint(UInt64(sums.count))
            for (metric, total) in sums {
                writer.writeVarint(UInt64(metric))
                writer.writeDouble(total)
            }
        }
        return writer.bytes
    }

    /// Applies one decoded block on top of the state; false when the block is malformed. With
    /// `aggregatesOnly`, stops after the names and aggregates (enough for reports; see
    /// ``ExperimentState/aggregatesOnly``).
    mutating func load(_ bytes: [UInt8], aggregatesOnly: Bool = false) -> Bool {
        var reader = ByteReader(bytes)
        guard reader.readUInt32() == ExperimentState.codecVersion, let kind = reader.readUInt8(), kind <= 1,
              let experimentCount = reader.readCount(max: min(ExperimentState.maxExperiments, reader.remaining))
        else { return false }
        if kind == 0 { self = ExperimentState(exposureMetric: exposureMetric, experimentDimension: experimentDimension, variantDimension: variantDimension) }
        // Names and aggregates are complete in every block; ids are positions, so names only grow.
        var newExposed: [[UInt64]] = []
        var newConflicts: [UInt64] = []
        for experiment in 0..<experimentCount {
            guard let name = reader.readString(maxLength: Limits.maxDimensionValueBytes), let conflictCount = reader.readVarint(),
                  let variantCount = reader.readCount(max: min(Int(UInt16.max), reader.remaining)),
                  variantCount >= 1, conflictCount <= ExperimentState.maxCount  // X5
            else { return false }
            guard experimentID(name) == UInt16(experiment) else { return false }
            var counts: [UInt64] = []
            for variant in 0..<variantCount {
                guard let variantName = reader.readString(maxLength: Limits.maxDimensionValueBytes),
                      let count = reader.readVarint(), count <= ExperimentState.maxCount,
                      variantID(variantName, in: UInt16(experiment)) == UInt16(variant)
                else { return false }
                counts.append(count)
            }
            newExposed.append(counts)
            newConflicts.append(conflictCount)
        }
        guard let metricCount = reader.readCount(max: min(Int(UInt16.max), reader.remaining)) else { return false }
        for metric in 0..<metricCount {
            guard let name = reader.readString(maxLength: Limits.maxNameBytes), metricID(name) == UInt16(metric) else {
                return false
            }
        }
        guard experiments.count == experimentCount, metrics.count == metricCount,
              let statCount = reader.readCount(max: reader.remaining / 20)
        else { return false }
        exposed = newExposed
        conflicts = newConflicts
        stats = [:]
        for _ in 0..<statCount {
            guard let experiment = reader.readCount(max: experimentCount - 1),
                  let variant = reader.readCount(max: variants[experiment].count - 1),
                  let metric = reader.readCount(max: metricCount - 1),
                  let units = reader.readVarint(), let events = reader.readVarint(),
                  units <= ExperimentState.maxCount, events <= ExperimentState.maxCount,
                  let sum = reader.readDouble(), let sumOfSquares = reader.readDouble()
            else { return false }
            stats[StatsKey(experiment: UInt16(experiment), variant: UInt16(variant), metric: UInt16(metric))] =
                MetricStats(units: units, events: events, sum: sum, sumOfSquares: sumOfSquares)
        }
        if aggregatesOnly {
            self.aggregatesOnly = true
            return true
        }
        guard let assignmentCount = reader.readCount(max: reader.remaining / 8) else { return false }
        for _ in 0..<assignmentCount {
            guard loadAssignment(&reader, experimentCount: experimentCount, metricCount: metricCount) else { return false }
        }
        return reader.isAtEnd
    }

    private mutating func loadAssignment(_ reader: inout ByteReader, experimentCount: Int, metricCount: Int) -> Bool {
        guard let index = reader.readCount(max: assignments.count),
              let unit = reader.readString(maxLength: Limits.maxUnitBytes),
              let experiment = reader.readCount(max: experimentCount - 1),
              let variant = reader.readCount(max: variants[experiment].count - 1),
              let firstExposure = reader.readSignedVarint(), let credited = reader.readVarint(),
              let extraCount = reader.readCount(max: metricCount)
        else { return false }
        if index == assignments.count {
            appendAssignment(
                unit: unit, first: firstAssignment(of: unit), experiment: UInt16(experiment),
                variant: UInt16(variant), firstExposure: firstExposure)
        } else {
            let existing = assignments[index]
            guard unitIDs[Int(assignmentUnit[index])] == unit, existing.experiment == UInt16(experiment),
                  existing.variant == UInt16(variant), existing.firstExposure == firstExposure
            else { return false }
        }
        // Credits only accumulate: a later block's mask holds an earlier one's.
        var mask = credited
        while mask != 0 {
            let metric = mask.trailingZeroBitCount
            mask &= mask - 1
            guard metric < metricCount else { return false }
            _ = markCredited(UInt32(index), metric: UInt16(metric))
        }
        for _ in 0..<extraCount {
            guard let metric = reader.readCount(max: metricCount - 1), metric >= 64 else { return false }
            extraCredited.insert(TotalKey(assignment: UInt32(index), metric: UInt16(metric)))
        }
        guard let totalCount = reader.readCount(max: metricCount) else { return false }
        for _ in 0..<totalCount {
            guard let metric = reader.readCount(max: metricCount - 1), let total = reader.readDouble() else { return false }
            totals[TotalKey(assignment: UInt32(index), metric: UInt16(metric))] = total
        }
        return true
    }
}
