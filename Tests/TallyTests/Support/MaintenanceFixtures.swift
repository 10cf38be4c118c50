import Testing
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

    /// Four days of events in several segments per partition, then late events from the last
    /// two hours of day 1 to the first hour of day 2, left in the head (and the log): retention
    /// at the start of day 2 drops part of the head.
    static func populated(_ fileSystem: SimulatedFileSystem, options: Options? = nil, count: Int = 2000) throws -> (Tally, [Event]) {
        let db = try Tally.open(at: Fixtures.path, options: options ?? Fixtures.options(fileSystem))
        let events = Maintenance.exactEvents(seed: 7, count: count).sorted { $0.timestamp < $1.timestamp }
        try Maintenance.ingest(events, into: db, batchSize: count / 8)
        let lateStart = Fixtures.start + Maintenance.day + 22 * Maintenance.hour
        let late = Maintenance.exactEvents(seed: 8, count: count / 10, days: 1).map { event in
            var event = event
            event.timestamp = lateStart + (event.timestamp - Fixtures.start) % (3 * Maintenance.hour)
            return event
        }
        try db.ingest(late, batchID: "late-head")
        #expect(try db.info().headEvents == late.count)
        return (db, events + late)
    }

    /// A database as ``populated(_:options:count:)`` leaves it (segments, and a head in the log),
    /// on a fresh file system, opened with `options(_:crashes:clock:)`. The files are made once
    /// per (count, clock) and copied, which keeps the crash and fault sweeps fast.
    static func restored(
        count: Int = 2000, now: Int64 = Fixtures.start, crashes: CrashSwitch = CrashSwitch()
    ) throws -> (SimulatedFileSystem, Tally) {
        let key = "\(count)@\(now)"
        let files = try templates.withLock { templates -> [String: [UInt8]] in
            if let files = templates[key] { return files }
            let fileSystem = SimulatedFileSystem()
            let (db, _) = try populated(fileSystem, options: options(fileSystem, crashes: CrashSwitch(), clock: ManualClock(nowMilliseconds: now)), count: count)
            let files = fileSystem.snapshotFiles()
            withExtendedLifetime(db) {}
            templates[key] = files
            return files
        }
        let fileSystem = SimulatedFileSystem()
        for (path, bytes) in files { fileSystem.setContents(bytes, atPath: path) }
        let db = try Tally.open(
            at: Fixtures.path, options: options(fileSystem, crashes: crashes, clock: ManualClock(nowMilliseconds: now)))
        return (fileSystem, db)
    }

    private static let templates = Locked<[String: [String: [UInt8]]]>([:])

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
    static func aftermaths(of fileSystem: SimulatedFileSystem, all: Bool = true) -> [(String, SimulatedFileSystem)] {
        guard all else { return [("kill", fileSystem.processCrash()), ("power/drop", fileSystem.powerLoss(.dropUnsynced))] }
        return [("kill", fileSystem.processCrash()), ("power/drop", fileSystem.powerLoss(.dropUnsynced)),
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
