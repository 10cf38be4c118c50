@testable import Tally
import TallyTesting

/// Shared set-ups for the retention, compaction and downsampling tests.
enum Maintenance {
    static let day: Int64 = 86_400_000
    static let hour: Int64 = 3_600_000

    /// Random events whose values are multiples of ¼, so every sum is exact in any order and
    /// results before and after a rewrite can be compared with `==`.
    static func exactEvents(seed: UInt64, count: Int, days: Int = 4, start: Int64 = Fixtures.start) -> [Event] {
        var random = RandomEvents(seed: seed)
        return random.events(count: count, start: start, days: days).map { event in
            var event = event
            if let value = event.value { event.value = (value * 4).rounded() / 4 }
            return event
        }
    }

    /// The queries whose full results are compared before and after retention and compaction.
    static let queries: [Query] = [
        Query(metric: "pageview"),
        Query(metric: "pageview", groupBy: ["country"], every: .hour, measures: Set(Measure.allCases)),
        Query(metric: "purchase", groupBy: ["device"], every: .day, measures: Set(Measure.allCases)),
        Query(metric: "purchase", filters: ["country": ["US", "DE"]], every: .milliseconds(6 * hour),
              from: Fixtures.start + 5 * hour, to: Fixtures.start + 70 * hour, measures: [.count, .sum, .max]),
        Query(metric: "error", groupBy: ["device", "country"], measures: [.count, .units]),
    ]

    static func answers(_ db: Tally, _ queries: [Query] = queries) throws -> [QueryResult] {
        try queries.map { try db.query($0) }
    }

    /// Mismatches between the engine and the brute-force oracle for `queries`.
    static func oracleMismatches(
        _ db: Tally, _ events: [Event], bucket: Int64 = hour, queries: [Query] = queries
    ) throws -> [String] {
        try queries.flatMap { query in
            Oracle.mismatches(try db.query(query), Oracle.answer(query, events: events, bucket: bucket))
                .map { "\(query): \($0)" }
        }
    }

    /// Ingests `events` in batches of `batchSize` with ids `prefix-<n>`, flushing after every
    /// `flushEvery` batches, so that partitions get several segments and the head holds the rest.
    static func ingest(
        _ events: [Event], into db: Tally, batchSize: Int = 250, flushEvery: Int = 2, prefix: String = "b"
    ) throws {
        var index = 0
        for start in stride(from: 0, to: events.count, by: batchSize) {
            try db.ingest(Array(events[start..<min(start + batchSize, events.count)]), batchID: "\(prefix)-\(index)")
            index += 1
            if index % flushEvery == 0 { try db.flush() }
        }
    }

    /// Options with a crash hook that throws at the `occurrence`-th time `point` is reached after
    /// being armed, freezing `fileSystem` first (the process "dies" there).
    static func options(_ fileSystem: SimulatedFileSystem, crashes: CrashSwitch, clock: ManualClock? = nil) -> Options {
        var options = Fixtures.options(fileSystem)
        if let clock { options.clock = clock }
        options.crashHook = { point in try crashes.reached(point, fileSystem: fileSystem) }
        return options
    }

    /// The file systems a restarted engine may find after the crash: the process died (page
    /// cache kept), or the power failed with unsynced writes dropped, kept, torn or mixed.
    static func aftermaths(of fileSystem: SimulatedFileSystem) -> [(String, SimulatedFileSystem)] {
        [("kill", fileSystem.processCrash()), ("power/drop", fileSystem.powerLoss(.dropUnsynced)),
         ("power/keep", fileSystem.powerLoss(.keepUnsynced)), ("power/tear", fileSystem.powerLoss(.tearLastWrite))]
            + (0..<3 as Range<UInt64>).map { ("power/random\($0)", fileSystem.powerLoss(.randomUnsynced, seed: $0)) }
    }
}

struct SimulatedCrash: Error {}

/// Records the crash points an operation passes and, when armed, crashes at one of them.
final class CrashSwitch: Sendable {
    private let state = Locked<(armed: (point: CrashPoint, occurrence: Int)?, recording: Bool, seen: [CrashPoint])>(
        (nil, false, []))

    /// Crash at the `occurrence`-th time (from 1) `point` is reached from now.
    func arm(_ point: CrashPoint, occurrence: Int = 1) {
        state.withLock { $0.armed = (point, occurrence) }
    }

    func startRecording() { state.withLock { $0.recording = true; $0.seen = [] } }

    /// The points passed since ``startRecording()``, in order.
    var seen: [CrashPoint] { state.withLock { $0.seen } }

    func reached(_ point: CrashPoint, fileSystem: SimulatedFileSystem) throws {
        let crash = state.withLock { state -> Bool in
            if state.recording { state.seen.append(point) }
            guard let armed = state.armed, armed.point == point else { return false }
            if armed.occurrence > 1 {
                state.armed = (point, armed.occurrence - 1)
                return false
            }
            state.armed = nil
            return true
        }
        if crash {
            fileSystem.crashNow()
            throw SimulatedCrash()
        }
    }
}

extension Oracle {
    /// The oracle with a bucket width per event (downsampled partitions): an event counts when its
    /// bucket starts in [from, to); with `every` finer than its bucket it is reported at the
    /// bucket's start, as the engine does.
    static func answer(_ query: Query, events: [Event], bucketOf: (Int64) -> Int64) -> [Key: Expected] {
        var result: [Key: Expected] = [:]
        for event in events where event.metric == query.metric {
            let width = bucketOf(event.timestamp)
            let bucketStart = floorDiv(event.timestamp, width)
            if let from = query.from, bucketStart < from { continue }
            if let to = query.to, bucketStart >= to { continue }
            guard query.filters.allSatisfy({ key, values in event.dimensions[key].map(values.contains) ?? false })
            else { continue }
            var time: Int64?
            if case .milliseconds(let every) = query.every {
                time = width > every ? bucketStart : floorDiv(bucketStart, every)
            }
            let key = Key(time: time, dimensions: query.groupBy.map { event.dimensions[$0] })
            var entry = result[key, default: Expected()]
            entry.count += 1
            if let value = event.value {
                entry.valueCount += 1
                entry.sum += value
                entry.min = Swift.min(entry.min ?? value, value)
                entry.max = Swift.max(entry.max ?? value, value)
            }
            if let unit = event.unit { entry.units.insert(unit) }
            result[key] = entry
        }
        return result
    }
}
