import Tally

/// A deterministic workload for crash, fault and concurrency harnesses, with the model that
/// checks a database against it (issue 7; PRODUCT.md rules 1–3 and the attribution rule).
///
/// Batches come in *streams* (one per writer thread): stream `s` sends batch 0, 1, 2, … in order,
/// each with the id `"s<s>-<i>"`, and sends batch `i + 1` only after batch `i` was acknowledged.
/// Each batch holds, in this order:
/// - one exposure (metric `exposure`, experiment `exp`, variant `a` or `b`) of a unit that no
///   other batch uses, so the variant report depends only on which batches are present;
/// - 1…12 events of metric `rel` tagged `batch=<id>`, with values, spread over four days (every
///   fifth batch lands two days late, so partitions close and reopen);
/// - for one batch in three, a `conv` event of the exposed unit with a value.
///
/// The model check needs only the public API, so it also runs in other processes (the kill loop
/// and the read-only openers of `tally-stress`).
public struct CrashWorkload: Sendable {
    public static let start: Int64 = 1_790_812_800_000
    public static let tagMetric = "rel"
    public static let experiment = "exp"

    public let seed: UInt64

    public init(seed: UInt64 = 1) {
        self.seed = seed
    }

    public struct BatchKey: Hashable, Sendable, Comparable, CustomStringConvertible {
        public var stream: Int
        public var index: Int

        public init(stream: Int, index: Int) {
            self.stream = stream
            self.index = index
        }

        public var id: String { "s\(stream)-\(index)" }
        public var description: String { id }

        public init?(id: String) {
            let parts = id.dropFirst().split(separator: "-")
            guard id.first == "s", parts.count == 2, let stream = Int(parts[0]), let index = Int(parts[1]) else {
                return nil
            }
            self.init(stream: stream, index: index)
        }

        public static func < (a: BatchKey, b: BatchKey) -> Bool { (a.stream, a.index) < (b.stream, b.index) }
    }

    private func hash(_ key: BatchKey) -> UInt64 {
        var z = seed &+ UInt64(key.stream) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(key.index) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Events of metric `rel` in the batch.
    public func tagged(_ key: BatchKey) -> Int { 1 + Int(hash(key) % 12) }
    public func variant(_ key: BatchKey) -> String { (hash(key) >> 20) % 2 == 0 ? "a" : "b" }
    public func converts(_ key: BatchKey) -> Bool { (hash(key) >> 8) % 3 == 0 }
    public func conversionValue(_ key: BatchKey) -> Double { Double((hash(key) >> 32) % 1000) / 4 }

    func timestamp(_ key: BatchKey) -> Int64 {
        let hour = Int64((key.index * 5 + key.stream * 11) % 96)
        let late: Int64 = key.index % 5 == 4 ? -2 * 86_400_000 : 0
        return CrashWorkload.start + hour * 3_600_000 + late + Int64(hash(key) % 1_000_000)
    }

    public func events(_ key: BatchKey) -> [Event] {
        let ts = timestamp(key)
        let unit = "x\(key.id)"
        var events = [Event(
            timestamp: ts, metric: "exposure",
            dimensions: ["experiment": CrashWorkload.experiment, "variant": variant(key)], unit: unit)]
        for k in 0..<tagged(key) {
            events.append(Event(
                timestamp: ts + Int64(k) * 60_000, metric: CrashWorkload.tagMetric,
                dimensions: ["batch": key.id, "stream": String(key.stream)], value: Double(k) + 0.5,
                unit: "u\(k % 5)"))
        }
        if converts(key) {
            events.append(Event(timestamp: ts + 1, metric: "conv", value: conversionValue(key), unit: unit))
        }
        return events
    }

    // MARK: Maintenance

    /// A small batch of metric `old` in the partition just above `horizon`, far older than any
    /// batch of the workload, for retention to drop (the model never reads metric `old`).
    public static func filler(above horizon: Int64) -> [Event] {
        [Event(timestamp: horizon + 3_600_000, metric: "old", dimensions: ["kind": "filler"], value: 1)]
    }

    /// The horizon retention starts from: far below the workload (which starts two days before
    /// ``start``), so that a thousand one-day steps never reach it.
    public static let fillerBase: Int64 = start - 1200 * 86_400_000

    /// Retention moves its horizon forward by one day at a time while it stays this far below
    /// ``start``.
    public static let horizonLimit: Int64 = start - 4 * 86_400_000

    /// One round of maintenance: a filler batch in the partition above the current horizon,
    /// retention one partition further (dropping it), then a compaction (no downsampling, so
    /// every answer stays the same).
    public static func maintain(_ db: Tally) throws {
        // A dry run below every horizon reports the current one (or a floor far in the past).
        let current = max(fillerBase, try db.applyRetention(before: fillerBase, dryRun: true).horizon ?? fillerBase)
        if current < horizonLimit {
            try db.ingest(filler(above: current))
            try db.applyRetention(before: current + 86_400_000)
        }
        try db.compact()
    }

    // MARK: The model

    /// What a database holds of the workload, read through queries.
    public struct Observed: Sendable {
        /// Events of `rel` per batch, and their value sums.
        public var counts: [BatchKey: UInt64] = [:]
        public var sums: [BatchKey: Double] = [:]
        public var foreignBatches: [String] = []
        public var report: VariantReport?

        public var present: Set<BatchKey> { Set(counts.keys) }
    }

    public func observe(_ db: Tally) throws -> Observed {
        var observed = Observed()
        let result = try db.query(Query(metric: CrashWorkload.tagMetric, groupBy: ["batch"], measures: [.count, .sum]))
        for row in result.rows {
            guard let id = row.dimensions[0], let key = BatchKey(id: id) else {
                observed.foreignBatches.append(row.dimensions[0] ?? "nil")
                continue
            }
            observed.counts[key] = row.count
            observed.sums[key] = row.sum
        }
        if try db.experiments().contains(where: { $0.name == CrashWorkload.experiment }) {
            observed.report = try db.variantReport(experiment: CrashWorkload.experiment, metrics: ["conv"])
        }
        return observed
    }

    /// Violations of the invariants every state must satisfy, whatever was acknowledged:
    /// each present batch is whole and counted once (rule 1), the experiment state agrees with
    /// the batches present, and each stream's batches are a prefix of what it sent.
    ///
    /// With `live`, the observation was taken from a handle other threads were writing through:
    /// the batch query and the experiment report are separate reads, so the report may already
    /// hold later batches, and only its lower bounds are checked.
    public func consistencyViolations(_ observed: Observed, live: Bool = false) -> [String] {
        var problems: [String] = []
        for (key, count) in observed.counts.sorted(by: { $0.key < $1.key }) {
            let want = tagged(key)
            if count != UInt64(want) { problems.append("batch \(key) has \(count) of \(want) events (partial or doubled)") }
            let sum = Double(want * want) / 2
            if observed.sums[key] != sum { problems.append("batch \(key) sums to \(observed.sums[key] ?? 0), not \(sum)") }
        }
        if !observed.foreignBatches.isEmpty { problems.append("rows of unknown batches: \(observed.foreignBatches.prefix(5))") }
        let byStream = Dictionary(grouping: observed.present, by: \.stream)
        for (stream, keys) in byStream.sorted(by: { $0.key < $1.key }) {
            let indices = keys.map(\.index).sorted()
            if indices != Array(0..<indices.count) {
                problems.append("stream \(stream) is not a prefix: \(indices.prefix(20))")
            }
        }
        problems += experimentViolations(observed, live: live)
        return problems
    }

    /// The variant report against the batches present (exact counts and sums).
    func experimentViolations(_ observed: Observed, live: Bool) -> [String] {
        let present = observed.present
        guard let report = observed.report else {
            return present.isEmpty ? [] : ["no experiment state although \(present.count) batches are present"]
        }
        if live {
            var problems: [String] = []
            if report.units < UInt64(present.count) {
                problems.append("experiment has \(report.units) units exposed, fewer than the \(present.count) batches seen before")
            }
            for variant in report.variants {
                let members = present.filter { self.variant($0) == variant.name }
                let converting = members.filter(converts).count
                if variant.units < UInt64(members.count) || (variant.metrics["conv"]?.units ?? 0) < UInt64(converting) {
                    problems.append("variant \(variant.name) has fewer units than the batches seen before")
                }
            }
            return problems
        }
        var problems: [String] = []
        if report.units != UInt64(present.count) {
            problems.append("experiment has \(report.units) units exposed, batches present: \(present.count)")
        }
        if report.conflicts != 0 { problems.append("experiment reports \(report.conflicts) conflicts") }
        for variant in report.variants {
            let members = present.filter { self.variant($0) == variant.name }
            if variant.units != UInt64(members.count) {
                problems.append("variant \(variant.name): \(variant.units) units, expected \(members.count)")
            }
            let converting = members.filter(converts)
            let conv = variant.metrics["conv"]
            let want = converting.reduce(0.0) { $0 + conversionValue($1) }
            if (conv?.units ?? 0) != UInt64(converting.count) || (conv?.events ?? 0) != UInt64(converting.count)
                || abs((conv?.sum ?? 0) - want) > 1e-6 {
                problems.append(
                    "variant \(variant.name): conv \(conv?.units ?? 0)/\(conv?.events ?? 0)/\(conv?.sum ?? 0), expected \(converting.count)/\(want)")
            }
        }
        return problems
    }

    /// Consistency, plus: every acknowledged batch is present (rule 3) and nothing is present that
    /// was never sent.
    public func violations(_ observed: Observed, acknowledged: Set<BatchKey>, sent: Set<BatchKey>) -> [String] {
        var problems = consistencyViolations(observed)
        let lost = acknowledged.subtracting(observed.present)
        if !lost.isEmpty { problems.append("acknowledged batches lost: \(lost.sorted().prefix(10))") }
        let invented = observed.present.subtracting(sent)
        if !invented.isEmpty { problems.append("batches present that were never sent: \(invented.sorted().prefix(10))") }
        return problems
    }
}
