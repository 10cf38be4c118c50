/// Experiment attribution, kept at ingest time so the variant report is a lookup, not a join
/// (PRODUCT.md, "Attribution rule").
///
/// - A unit's variant in experiment E is the variant of its first exposure to E that was
///   ingested. A later exposure to another variant counts as a conflict and is otherwise ignored.
/// - An event of metric M (not the exposure metric) by unit u is credited to (E, variant) when u
///   was already assigned in E when the event was ingested and the event's timestamp is not
///   earlier than that first exposure.
///
/// Locking: guarded by the engine's state lock. Changes are deterministic functions of the
/// logged batches, so replaying the log rebuilds them; flushes persist them (see the codec).
///
/// Memory: per assigned (experiment, unit) one ``Assignment`` (20 bytes) and its unit's id (4),
/// in chunked arrays; per exposed unit its string (16 bytes, inline up to 15 UTF-8 bytes), its
/// first assignment (4) and 2–4 slots of the unit table (4 each); per-unit value totals only
/// for units with credited values.
struct ExperimentState: Equatable {
    /// 20 bytes: millions are held, so the timestamp is kept in two 32-bit halves (the struct
    /// then needs 4-byte alignment, not 8, and no padding).
    struct Assignment: Equatable {
        private var firstExposureLow: UInt32
        private var firstExposureHigh: Int32
        /// Bit `i` set: the unit has a credited event of metric `i`, for the metrics below
        /// ``ExperimentState/maskedMetrics``; the others are in ``ExperimentState/extraCredited``.
        var creditedMetrics: UInt32
        var experiment: UInt16
        var variant: UInt16
        /// Next assignment of the same unit in another experiment, or `UInt32.max`.
        var nextForUnit: UInt32

        init(firstExposure: Int64, creditedMetrics: UInt32, experiment: UInt16, variant: UInt16, nextForUnit: UInt32) {
            firstExposureLow = UInt32(truncatingIfNeeded: firstExposure)
            firstExposureHigh = Int32(truncatingIfNeeded: firstExposure >> 32)
            self.creditedMetrics = creditedMetrics
            self.experiment = experiment
            self.variant = variant
            self.nextForUnit = nextForUnit
        }

        var firstExposure: Int64 { Int64(firstExposureHigh) << 32 | Int64(firstExposureLow) }
    }

    /// Metrics whose credit is a bit of ``Assignment/creditedMetrics``.
    static let maskedMetrics = 32

    /// Aggregates per (experiment, variant, metric).
    struct MetricStats: Equatable {
        /// Units with at least one credited event.
        var units: UInt64 = 0
        var events: UInt64 = 0
        /// Sum of credited values.
        var sum: Double = 0
        /// Sum over units of the square of each unit's credited total.
        var sumOfSquares: Double = 0

        /// Counts one credited event whose unit's credited total went from `unitTotal.old` to
        /// `unitTotal.new`; `isFirstCredit` when it is the unit's first of this metric.
        @inline(__always)
        mutating func count(_ value: Double?, unitTotal: (old: Double, new: Double), isFirstCredit: Bool) {
            events += 1
            if isFirstCredit { units += 1 }
            if let value {
                sum += value
                sumOfSquares += unitTotal.new * unitTotal.new - unitTotal.old * unitTotal.old
            }
        }
    }

    struct StatsKey: Hashable {
        var experiment: UInt16
        var variant: UInt16
        var metric: UInt16
    }

    struct TotalKey: Hashable {
        var assignment: UInt32
        var metric: UInt16
    }

    let exposureMetric: String
    let experimentDimension: String
    let variantDimension: String

    var experiments: [String] = []
    var experimentIDs: [String: UInt16] = [:]
    /// Variant names per experiment; ids are positions.
    var variants: [[String]] = []
    var metrics: [String] = []
    var metricIDs: [String: UInt16] = [:]

    /// Exposed units by unit id.
    var unitIDs = UnitIndex()
    /// Per unit id: its first assignment (a linked list through ``Assignment/nextForUnit``).
    /// Chunked: these grow with the exposed units, and a doubling array's growth would
    /// briefly hold them three times over.
    var unitFirstAssignment = ChunkedArray<UInt32>()
    var assignmentUnit = ChunkedArray<UInt32>()
    var assignments = ChunkedArray<Assignment>()
    /// Credited metrics beyond the ``maskedMetrics`` that fit in an assignment's bit mask.
    var extraCredited: Set<TotalKey> = []
    /// Per (assignment, metric) total of credited values, for Welch's test.
    var totals: [TotalKey: Double] = [:]
    var stats: [StatsKey: MetricStats] = [:]
    /// Units exposed per experiment and variant.
    var exposed: [[UInt64]] = []
    /// Exposures of an assigned unit to another variant, per experiment.
    var conflicts: [UInt64] = []
    /// Assignments changed since the last flush (persisted as a delta).
    var dirty: DirtyAssignments = []
    /// Anything changed since the last flush.
    var isDirty = false
    /// Assignments and units held by the persisted blocks: a delta block lists the assignments
    /// from `persistedAssignments` on as new, and numbers new units from `persistedUnits` on.
    private(set) var persistedAssignments = 0
    private(set) var persistedUnits = 0
    /// Only names and aggregates were loaded (a read-only handle whose log is empty): reports
    /// work, applying batches does not. See `Engine.loadExperimentState(aggregatesOnly:)`.
    var aggregatesOnly = false

    static let maxExperiments = Int(UInt16.max)

    init(exposureMetric: String, experimentDimension: String, variantDimension: String) {
        self.exposureMetric = exposureMetric
        self.experimentDimension = experimentDimension
        self.variantDimension = variantDimension
    }

    /// The first assignment of `unit`, `.max` if it has none.
    mutating func firstAssignment(of unit: String) -> UInt32 {
        unitIDs.id(of: unit).map { unitFirstAssignment[Int($0)] } ?? .max
    }

    /// Approximate bytes held (for `info`).
    var approximateBytes: Int {
        assignments.count * (MemoryLayout<Assignment>.stride + 4) + unitIDs.count * 48 + totals.count * 40
    }

    /// Applies a validated batch in event order; events older than `horizon` are skipped
    /// (dropped by retention, exactly as the head skips them).
    mutating func apply(_ batch: EventBatch, horizon: Int64) {
        var roles = BatchRoles(batch, for: self)
        if !roles.hasExposures && unitFirstAssignment.isEmpty { return }
        for event in 0..<batch.count where batch.timestamps[event] >= horizon {
            let unit = batch.units[event]
            guard unit != EventBatch.noUnit else { continue }
            let first = roles.firstAssignment(ofUnit: unit, in: &self)
            let metric = batch.metrics[event]
            if roles.isExposure(metric) {
                roles.setFirstAssignment(expose(unit: unit, first: first, event: event, in: batch, roles: &roles), ofUnit: unit)
            } else if first != .max {
                let value = batch.hasValue[event] ? batch.values[event] : nil
                credit(first, metric: metric, timestamp: batch.timestamps[event], value: value, roles: &roles)
            }
        }
    }

    /// Assigns the unit at batch string `unit` (whose first assignment is `first`, `.max` if
    /// none) from an exposure event; returns the unit's first assignment afterwards.
    private mutating func expose(unit: UInt32, first: UInt32, event: Int, in batch: EventBatch, roles: inout BatchRoles) -> UInt32 {
        var experimentIndex: UInt32?
        var variantIndex: UInt32?
        for d in batch.dimensionRange(of: event) {
            switch roles.dimensionRole(of: batch.dimensionKeys[d]) {
            case .experiment: experimentIndex = batch.dimensionValues[d]
            case .variant: variantIndex = batch.dimensionValues[d]
            case .both: (experimentIndex, variantIndex) = (batch.dimensionValues[d], batch.dimensionValues[d])
            case .other: break
            }
        }
        guard let experimentIndex, let variantIndex else { return first }
        let experiment = roles.experimentID(of: experimentIndex, in: &self)
        let variant = variantID(batch.strings[Int(variantIndex)], in: experiment)
        var cursor = first
        while cursor != .max {
            let existing = assignments[Int(cursor)]
            if existing.experiment == experiment {
                if existing.variant != variant {
                    conflicts[Int(experiment)] += 1
                    isDirty = true
                }
                return first
            }
            cursor = existing.nextForUnit
        }
        let index = appendAssignment(
            unit: batch.strings[Int(unit)], first: first, experiment: experiment, variant: variant,
            firstExposure: batch.timestamps[event])
        exposed[Int(experiment)][Int(variant)] += 1
        dirty.insert(index)
        isDirty = true
        return index
    }

    /// Adds an assignment of `unit` (whose first assignment is `first`, `.max` if none) at the
    /// head of the unit's list, no metric credited yet; returns its index.
    @discardableResult
    mutating func appendAssignment(
        unit: String, first: UInt32, experiment: UInt16, variant: UInt16, firstExposure: Int64
    ) -> UInt32 {
        let index = UInt32(assignments.count)
        let unitID: UInt32
        if first != .max {
            unitID = assignmentUnit[Int(first)]
            unitFirstAssignment[Int(unitID)] = index
        } else {
            unitID = unitIDs.insert(unit)
            precondition(Int(unitID) == unitFirstAssignment.count, "a unit with assignments was given none")
            unitFirstAssignment.append(index)
        }
        assignments.append(Assignment(
            firstExposure: firstExposure, creditedMetrics: 0, experiment: experiment, variant: variant, nextForUnit: first))
        assignmentUnit.append(unitID)
        return index
    }

    /// Credits an event of the metric at batch string `metric` to every assignment of the unit
    /// (from `first`) that its timestamp does not precede.
    private mutating func credit(_ first: UInt32, metric: UInt32, timestamp: Int64, value: Double?, roles: inout BatchRoles) {
        var cursor = first
        while cursor != .max {
            let assignment = assignments[Int(cursor)]
            defer { cursor = assignment.nextForUnit }
            guard timestamp >= assignment.firstExposure else { continue }
            let m = roles.metricID(of: metric, in: &self)
            let isFirstCredit = markCredited(cursor, metric: m)
            var total = (old: 0.0, new: 0.0)
            if let value { total = Self.accumulate(value, into: &totals[TotalKey(assignment: cursor, metric: m), default: 0]) }
            let key = StatsKey(experiment: assignment.experiment, variant: assignment.variant, metric: m)
            stats[key, default: MetricStats()].count(value, unitTotal: total, isFirstCredit: isFirstCredit)
            dirty.insert(cursor)
            isDirty = true
        }
    }

    /// Adds `value` to `total` in place (one hash lookup); returns the total before and after.
    @inline(__always)
    private static func accumulate(_ value: Double, into total: inout Double) -> (old: Double, new: Double) {
        let old = total
        total += value
        return (old, total)
    }

    /// Records that the persisted blocks now hold the whole state (after a flush commits one,
    /// or after loading them).
    mutating func markPersisted() {
        dirty = []
        isDirty = false
        persistedAssignments = assignments.count
        persistedUnits = unitIDs.count
    }

    /// Marks `metric` credited for an assignment; true when it was not before.
    mutating func markCredited(_ assignment: UInt32, metric: UInt16) -> Bool {
        if metric < Self.maskedMetrics {
            let bit = UInt32(1) << UInt32(metric)
            if assignments[Int(assignment)].creditedMetrics & bit != 0 { return false }
            assignments[Int(assignment)].creditedMetrics |= bit
            return true
        }
        return extraCredited.insert(TotalKey(assignment: assignment, metric: metric)).inserted
    }

    mutating func experimentID(_ name: String) -> UInt16 {
        if let id = experimentIDs[name] { return id }
        let id = UInt16(experiments.count)
        experiments.append(name)
        experimentIDs[name] = id
        variants.append([])
        exposed.append([])
        conflicts.append(0)
        return id
    }

    mutating func variantID(_ name: String, in experiment: UInt16) -> UInt16 {
        if let id = variants[Int(experiment)].firstIndex(of: name) { return UInt16(id) }
        variants[Int(experiment)].append(name)
        exposed[Int(experiment)].append(0)
        return UInt16(variants[Int(experiment)].count - 1)
    }

    mutating func metricID(_ name: String) -> UInt16 {
        if let id = metricIDs[name] { return id }
        let id = UInt16(metrics.count)
        metrics.append(name)
        metricIDs[name] = id
        return id
    }
}
