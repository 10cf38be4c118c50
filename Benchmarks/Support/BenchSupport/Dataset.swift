import Tally
import TallyWorkload

/// The event stream of the benchmarks: the project's generator (`TallyWorkload`), materialised
/// once per size and seed before any measurement.
public enum Dataset {
    /// Events in arrival order.
    public static func events(count: Int, seed: UInt64 = Settings.seed, days: Int = 30) -> [GeneratedEvent] {
        Array(WorkloadGenerator(WorkloadOptions(events: count, days: days, seed: seed)))
    }

    /// Library events, cut into batches of `batchSize` (built before any measurement so that the
    /// ingest benchmarks time `ingest` alone).
    public static func batches(_ events: [GeneratedEvent], size batchSize: Int) -> [[Event]] {
        stride(from: 0, to: events.count, by: batchSize).map { start in
            events[start..<min(start + batchSize, events.count)].map(Self.event)
        }
    }

    public static func event(_ e: GeneratedEvent) -> Event {
        Event(timestamp: e.timestamp, metric: e.metric, dimensions: e.dimensionDictionary, value: e.value, unit: e.unit)
    }

    /// The metrics of the workload model, for q1 (Tally answers one metric per query).
    public static let metrics = ["conversion", "error", "exposure", "pageview", "purchase"]

    public static let dayMilliseconds: Int64 = 86_400_000

    /// Start of the "last 7 days of the data" used by q3: six days before the start of the day
    /// holding the newest timestamp. Computed once from the data; every engine gets the literal.
    public static func lastSevenDaysStart(newestTimestamp: Int64) -> Int64 {
        (newestTimestamp / dayMilliseconds - 6) * dayMilliseconds
    }
}
