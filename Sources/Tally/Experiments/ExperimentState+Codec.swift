/// Persistence of ``ExperimentState`` (format-spec.md, "Experiment state").
///
/// Each flush that changed the state appends one block of kind `experimentState` and lists it
/// in the catalog. A block holds the full name tables and aggregates, and either every
/// assignment (a base) or only those added or credited since the previous block (a delta).
/// Assignments are columns: unit, arm (experiment and variant) and first exposure once, when
/// added; credits and totals whenever they change. Loading applies the listed blocks in order.
extension ExperimentState {
    static let codecVersion: UInt32 = 3
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
        let updated = full ? [] : dirty.sorted().prefix { $0 < UInt32(persistedAssignments) }
        let new = full ? 0..<assignments.count : persistedAssignments..<assignments.count
        writer.writeVarint(UInt64(updated.count))
        writer.writeVarint(UInt64(new.count))
        var columns = AssignmentColumns()
        var previous = -1
        for index in updated {
            columns.updatedIndices.writeVarint(UInt64(Int(index) - previous - 1))
            previous = Int(index)
        }
        // Units are numbered by first assignment: a new assignment's unit is either the next
        // number (a new unit, its string written out) or an earlier one (referred to by distance).
        var nextUnit = UInt32(full ? 0 : persistedUnits)
        // Arms number every (experiment, variant) of the block, experiment by experiment.
        var firstArm: [Int] = []
        var armCount = 0
        for experimentVariants in variants {
            firstArm.append(armCount)
            armCount += experimentVariants.count
        }
        var previousExposure: Int64 = 0
        for index in new {
            let unit = assignmentUnit[index]
            if unit == nextUnit {
                columns.units.writeVarint(0)
                columns.unitStrings.writeString(unitIDs[Int(unit)])
                nextUnit += 1
            } else {
                precondition(unit < nextUnit, "units are numbered in the order of their first assignment")
                columns.units.writeVarint(UInt64(nextUnit - unit))
            }
            let assignment = assignments[index]
            columns.arms.writeVarint(UInt64(firstArm[Int(assignment.experiment)] + Int(assignment.variant)))
            columns.firstExposures.writeSignedVarint(assignment.firstExposure &- previousExposure)
            previousExposure = assignment.firstExposure
        }
        var perAssignmentTotals: [UInt32: [(UInt16, Double)]] = [:]
        for (key, total) in totals { perAssignmentTotals[key.assignment, default: []].append((key.metric, total)) }
        // A block's mask holds metrics 0…63 (format-spec.md, the credits column); an
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
        func writeCredits(of index: Int) {
            let key = UInt32(index)
            columns.credits.writeVarint(UInt64(assignments[index].creditedMetrics) | (perAssignmentHighMask[key] ?? 0))
            let extra = (perAssignmentExtra[key] ?? []).sorted()
            columns.credits.writeVarint(UInt64(extra.count))
            for metric in extra { columns.credits.writeVarint(UInt64(metric)) }
            let sums = (perAssignmentTotals[key] ?? []).sorted { $0.0 < $1.0 }
            columns.totals.writeVarint(UInt64(sums.count))
            for (metric, total) in sums {
                columns.totals.writeVarint(UInt64(metric))
                columns.totals.writeDouble(total)
            }
        }
        for index in updated { writeCredits(of: Int(index)) }
        for index in new { writeCredits(of: index) }
        columns.write(to: &writer)
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
        return loadAssignments(&reader, isBase: kind == 0, experimentCount: experimentCount, metricCount: metricCount)
    }

    /// Reads the assignments section (its counts, column lengths and columns) to the block's end.
    private mutating func loadAssignments(
        _ reader: inout ByteReader, isBase: Bool, experimentCount: Int, metricCount: Int
    ) -> Bool {
        guard let updatedCount = reader.readCount(max: isBase ? 0 : min(assignments.count, reader.remaining)),
              let newCount = reader.readCount(max: reader.remaining),
              var columns = AssignmentColumns.Readers(&reader), reader.isAtEnd
        else { return false }
        var arms: [(experiment: Int, variant: Int)] = []
        for experiment in 0..<experimentCount {
            for variant in 0..<variants[experiment].count { arms.append((experiment, variant)) }
        }
        var index = -1
        for _ in 0..<updatedCount {
            guard let gap = columns.updatedIndices.readCount(max: assignments.count - index - 2) else { return false }
            index += gap + 1
            guard loadCredits(of: UInt32(index), from: &columns, metricCount: metricCount) else { return false }
        }
        var previousExposure: Int64 = 0
        for _ in 0..<newCount {
            guard let unitReference = columns.units.readCount(max: unitIDs.count),
                  let arm = columns.arms.readCount(max: arms.count - 1),
                  let exposureDelta = columns.firstExposures.readSignedVarint()
            else { return false }
            let (experiment, variant) = arms[arm]
            var first = UInt32.max
            var unit = ""
            if unitReference == 0 {
                // A unit with no assignment yet (X2).
                guard let string = columns.unitStrings.readString(maxLength: Limits.maxUnitBytes), unitIDs.id(of: string) == nil
                else { return false }
                unit = string
            } else {
                first = unitFirstAssignment[unitIDs.count - unitReference]
                guard !hasAssignment(from: first, in: UInt16(experiment)) else { return false }  // X2
            }
            previousExposure = previousExposure &+ exposureDelta
            let added = appendAssignment(
                unit: unit, first: first, experiment: UInt16(experiment), variant: UInt16(variant),
                firstExposure: previousExposure)
            guard loadCredits(of: added, from: &columns, metricCount: metricCount) else { return false }
        }
        return columns.areAtEnd
    }

    /// Whether the unit whose newest assignment is `first` (`.max` for none) is assigned in `experiment`.
    private func hasAssignment(from first: UInt32, in experiment: UInt16) -> Bool {
        var cursor = first
        while cursor != .max {
            if assignments[Int(cursor)].experiment == experiment { return true }
            cursor = assignments[Int(cursor)].nextForUnit
        }
        return false
    }

    /// Reads one assignment's entries of the credits and totals columns. Credits only
    /// accumulate: a later block's mask holds an earlier one's (X2).
    private mutating func loadCredits(of index: UInt32, from columns: inout AssignmentColumns.Readers, metricCount: Int) -> Bool {
        guard let credited = columns.credits.readVarint(), let extraCount = columns.credits.readCount(max: metricCount)
        else { return false }
        var mask = credited
        while mask != 0 {
            let metric = mask.trailingZeroBitCount
            mask &= mask - 1
            guard metric < metricCount else { return false }
            _ = markCredited(index, metric: UInt16(metric))
        }
        for _ in 0..<extraCount {
            guard let metric = columns.credits.readCount(max: metricCount - 1), metric >= 64 else { return false }
            extraCredited.insert(TotalKey(assignment: index, metric: UInt16(metric)))
        }
        guard let totalCount = columns.totals.readCount(max: metricCount) else { return false }
        for _ in 0..<totalCount {
            guard let metric = columns.totals.readCount(max: metricCount - 1), let total = columns.totals.readDouble()
            else { return false }
            totals[TotalKey(assignment: index, metric: UInt16(metric))] = total
        }
        return true
    }
}

/// The assignments section's columns (format-spec.md 7b), in their order on disk. The block
/// gives every column's byte length before the columns, so a reader walks them side by side.
struct AssignmentColumns {
    var updatedIndices = ByteWriter(capacity: 0)
    var units = ByteWriter(capacity: 0)
    var unitStrings = ByteWriter(capacity: 0)
    var arms = ByteWriter(capacity: 0)
    var firstExposures = ByteWriter(capacity: 0)
    var credits = ByteWriter(capacity: 0)
    var totals = ByteWriter(capacity: 0)

    private var all: [ByteWriter] { [updatedIndices, units, unitStrings, arms, firstExposures, credits, totals] }

    func write(to writer: inout ByteWriter) {
        for column in all { writer.writeVarint(UInt64(column.bytes.count)) }
        for column in all { writer.writeBytes(column.bytes) }
    }

    /// One reader per column, each confined to its column's bytes.
    struct Readers {
        var updatedIndices, units, unitStrings, arms, firstExposures, credits, totals: ByteReader

        /// Reads the column lengths at `reader` and moves it past the columns; nil when they do
        /// not fit in what remains.
        init?(_ reader: inout ByteReader) {
            var lengths: [Int] = []
            for _ in 0..<7 {
                guard let length = reader.readCount(max: reader.remaining) else { return nil }
                lengths.append(length)
            }
            guard lengths.reduce(0, +) <= reader.remaining else { return nil }
            var columns: [ByteReader] = []
            var start = reader.position
            for length in lengths {
                columns.append(ByteReader(reader.bytes, from: start, end: start + length))
                start += length
            }
            guard reader.skip(start - reader.position) else { return nil }
            (updatedIndices, units, unitStrings, arms) = (columns[0], columns[1], columns[2], columns[3])
            (firstExposures, credits, totals) = (columns[4], columns[5], columns[6])
        }

        var areAtEnd: Bool {
            [updatedIndices, units, unitStrings, arms, firstExposures, credits, totals].allSatisfy(\.isAtEnd)
        }
    }
}
