import BenchSupport
import Benchmark
import Dispatch
import Foundation
import Tally
import TallyWorkload

// Tally and its SQLite peer, measured in the same run (issue 6). Each benchmark runs in its own
// process (the plugin's rule), so the setup closures build only what that benchmark needs.
// Sizes come from the environment: see `Settings` and BENCHMARKS.md.

let eventsPerSecond = BenchmarkMetric.custom("events/s", polarity: .prefersLarger, useScalingFactor: false)

let ingestMetrics: [BenchmarkMetric] = [
    .wallClock, .throughput, .instructions, .mallocCountTotal, .peakMemoryResident, .peakMemoryResidentDelta,
    eventsPerSecond,
]
let queryMetrics: [BenchmarkMetric] = [.wallClock, .throughput, .instructions, .mallocCountTotal, .peakMemoryResident]

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: ingestMetrics, warmupIterations: 0, maxDuration: .seconds(20),
        maxIterations: Settings.iterations)

    for batch in [1_000, 10_000] {
        for durability in [Durability.full, .normal] {
            for threads in [1, 2] {
                registerTallyIngest(batch: batch, durability: durability, threads: threads)
            }
            registerSQLiteIngest(batch: batch, synchronous: durability == .full ? "FULL" : "NORMAL")
        }
    }
    // The rollup table alone (no distinct counts): the cheapest form of the pattern, for scale.
    registerSQLiteIngest(batch: 1_000, synchronous: "FULL", keepsUnits: false)
    // The peer as most GRDB code binds values (an array of arguments per statement), for scale.
    registerSQLiteIngest(batch: 10_000, synchronous: "FULL", statementArguments: true)
    // The same events over one day instead of 30: Tally then flushes no partition during the
    // measurement (a day's traffic arriving in a day), so this times the ingest path itself.
    registerTallyIngest(batch: 10_000, durability: .full, threads: 1, days: 1)
    registerSQLiteIngest(batch: 10_000, synchronous: "FULL", days: 1)
    registerTallyImport()
    registerTallyFlush()
    registerTallyReopen()
    registerTallyCompaction()
    registerQueries()
}

// MARK: - Fixtures (one process per benchmark: each is built at most once)

nonisolated(unsafe) var ingestBatches: [[Event]] = []
/// Events in `ingestBatches` or `sqliteBatches` (the generator gives about the requested number).
nonisolated(unsafe) var ingestEventCount = 0
nonisolated(unsafe) var sqliteBatches: [[SQLitePeer.Input]] = []
nonisolated(unsafe) var queryDatabase: Tally?
nonisolated(unsafe) var queryPeer: SQLitePeer?
nonisolated(unsafe) var q3From: Int64 = 0
nonisolated(unsafe) var scratch: ScratchDirectory?

func scratchDirectory() -> ScratchDirectory {
    if let scratch { return scratch }
    let made = ScratchDirectory("bench")
    scratch = made
    return made
}

func removeScratch() {
    scratch?.remove()
    scratch = nil
}

/// Options for a database the harness fills and then inspects or copies: budgets large enough
/// that nothing is flushed behind the benchmark's back.
func roomyOptions(_ durability: Durability) -> Options {
    var options = Options()
    options.durability = durability
    options.memoryBudgetBytes = 8 << 30
    options.walBudgetBytes = 8 << 30
    return options
}

// MARK: - Ingest

/// `days`: the span of the generated stream (30 unless said, and then not named).
func registerTallyIngest(batch: Int, durability: Durability, threads: Int, days: Int = 30) {
    let events = Settings.ingestEvents
    Benchmark(
        "Tally ingest batch=\(batch) durability=\(durability) threads=\(threads)" + (days == 30 ? "" : " days=\(days)"),
        configuration: .init(tags: ["events": "\(events)"])
    ) { benchmark in
        let directory = ScratchDirectory("ingest")
        let path = directory.file("ingest.tally")
        var options = Options()
        options.durability = durability
        do {
            let db = try Tally.open(at: path, options: options)
            let start = DispatchTime.now().uptimeNanoseconds
            benchmark.startMeasurement()
            if threads == 1 {
                for events in ingestBatches { try db.ingest(events) }
            } else {
                let failures = Failures()
                DispatchQueue.concurrentPerform(iterations: threads) { thread in
                    for index in stride(from: thread, to: ingestBatches.count, by: threads) {
                        do { try db.ingest(ingestBatches[index]) } catch { failures.add(error) }
                    }
                }
                if let error = failures.first { throw error }
            }
            benchmark.stopMeasurement()
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            benchmark.measurement(eventsPerSecond, Int(Double(ingestEventCount) / (Double(elapsed) / 1e9)))
            try db.close()
        } catch {
            benchmark.error("\(error)")
        }
        directory.remove()
    } setup: {
        let all = Dataset.events(count: events, days: days)
        ingestEventCount = all.count
        ingestBatches = Dataset.batches(all, size: batch)
    } teardown: {
        removeScratch()
    }
}

/// `statementArguments`: bind through GRDB's `StatementArguments` instead of `sqlite3_bind_*`.
func registerSQLiteIngest(
    batch: Int, synchronous: String, keepsUnits: Bool = true, days: Int = 30, statementArguments: Bool = false
) {
    let events = Settings.ingestEvents
    Benchmark(
        "SQLite ingest batch=\(batch) synchronous=\(synchronous)" + (keepsUnits ? "" : " rollup-only")
            + (days == 30 ? "" : " days=\(days)") + (statementArguments ? " bind=arguments" : ""),
        configuration: .init(tags: ["events": "\(events)"])
    ) { benchmark in
        let directory = ScratchDirectory("sqlite")
        do {
            let peer = try SQLitePeer(
                path: directory.file("peer.sqlite"), synchronous: synchronous, keepsUnits: keepsUnits)
            let start = DispatchTime.now().uptimeNanoseconds
            benchmark.startMeasurement()
            if statementArguments {
                for rows in sqliteBatches { try peer.ingestWithStatementArguments(rows) }
            } else {
                for rows in sqliteBatches { try peer.ingest(rows) }
            }
            benchmark.stopMeasurement()
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            benchmark.measurement(eventsPerSecond, Int(Double(ingestEventCount) / (Double(elapsed) / 1e9)))
        } catch {
            benchmark.error("\(error)")
        }
        directory.remove()
    } setup: {
        let all = Dataset.events(count: events, days: days)
        ingestEventCount = all.count
        sqliteBatches = SQLitePeer.batches(all, size: batch)
    } teardown: {
        removeScratch()
    }
}

nonisolated(unsafe) var ndjsonPath = ""

/// `Tally.importNDJSON` (what `tally import` runs) on a file of the generator's stream.
func registerTallyImport() {
    let events = Settings.ingestEvents
    Benchmark("Tally import NDJSON", configuration: .init(tags: ["events": "\(events)"])) { benchmark in
        let directory = ScratchDirectory("import")
        do {
            var options = Options()
            options.durability = .normal
            let db = try Tally.open(at: directory.file("import.tally"), options: options)
            let start = DispatchTime.now().uptimeNanoseconds
            benchmark.startMeasurement()
            let summary = try db.importNDJSON(fromPath: ndjsonPath)
            benchmark.stopMeasurement()
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            benchmark.measurement(eventsPerSecond, Int(Double(summary.events) / (Double(elapsed) / 1e9)))
            try db.close()
        } catch {
            benchmark.error("\(error)")
        }
        directory.remove()
    } setup: {
        var bytes: [UInt8] = []
        for event in Dataset.events(count: events) { event.appendNDJSON(to: &bytes) }
        ndjsonPath = scratchDirectory().file("events.ndjson")
        guard FileManager.default.createFile(atPath: ndjsonPath, contents: Data(bytes)) else {
            throw TallyError(.io, "cannot write \(ndjsonPath)")
        }
    } teardown: {
        removeScratch()
    }
}

final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [Error] = []
    func add(_ error: Error) { lock.withLock { errors.append(error) } }
    var first: Error? { lock.withLock { errors.first } }
}

// MARK: - Flush and reopen

/// One day of traffic, so that no partition closes during ingest and the whole stream stays in
/// the head and the write-ahead log.
func oneDayBatches(_ count: Int) -> [[Event]] {
    Dataset.batches(Dataset.events(count: count, days: 1), size: 10_000)
}

func registerTallyFlush() {
    let events = Settings.ingestEvents
    Benchmark(
        "Tally flush head=\(events) events",
        configuration: .init(metrics: ingestMetrics.filter { $0 != eventsPerSecond }, tags: ["events": "\(events)"])
    ) { benchmark in
        let directory = ScratchDirectory("flush")
        do {
            let db = try Tally.open(at: directory.file("flush.tally"), options: roomyOptions(.off))
            for events in ingestBatches { try db.ingest(events) }
            benchmark.startMeasurement()
            try db.flush()
            benchmark.stopMeasurement()
            try db.close()
        } catch {
            benchmark.error("\(error)")
        }
        directory.remove()
    } setup: {
        ingestBatches = oneDayBatches(events)
    } teardown: {
        removeScratch()
    }
}

nonisolated(unsafe) var reopenTemplate: (database: String, wal: String)?

func registerTallyReopen() {
    let events = Settings.reopenEvents
    Benchmark(
        "Tally reopen WAL=\(events) events",
        configuration: .init(
            metrics: [.wallClock, .instructions, .mallocCountTotal, .peakMemoryResident, .peakMemoryResidentDelta],
            tags: ["events": "\(events)"])
    ) { benchmark in
        guard let template = reopenTemplate else { return benchmark.error("no template") }
        let directory = ScratchDirectory("reopen")
        let path = directory.file("reopen.tally")
        do {
            try FileManager.default.copyItem(atPath: template.database, toPath: path)
            try FileManager.default.copyItem(atPath: template.wal, toPath: path + "-wal")
            benchmark.startMeasurement()
            let db = try Tally.open(at: path, options: roomyOptions(.full))
            benchmark.stopMeasurement()
            let info = try db.info()
            if info.headEvents != ingestEventCount {
                benchmark.error("replayed \(info.headEvents) events, expected \(ingestEventCount)")
            }
            try db.close()
        } catch {
            benchmark.error("\(error)")
        }
        directory.remove()
    } setup: {
        // Fill a database and copy its file and log while it is open: the copy is what a crash
        // leaves behind (every batch in the log, nothing flushed).
        let directory = scratchDirectory()
        let path = directory.file("source.tally")
        let db = try Tally.open(at: path, options: roomyOptions(.full))
        let batches = oneDayBatches(events)
        ingestEventCount = batches.reduce(0) { $0 + $1.count }
        for batch in batches { try db.ingest(batch) }
        let info = try db.info()
        guard info.headEvents == ingestEventCount, info.walBytes > 0 else {
            throw TallyError(.invalidArgument, "expected \(ingestEventCount) events in the log, found \(info.headEvents)")
        }
        let copy = (database: directory.file("template.tally"), wal: directory.file("template.tally-wal"))
        try FileManager.default.copyItem(atPath: path, toPath: copy.database)
        try FileManager.default.copyItem(atPath: path + "-wal", toPath: copy.wal)
        reopenTemplate = copy
        try db.close()
    } teardown: {
        removeScratch()
    }
}

// MARK: - Compaction

nonisolated(unsafe) var compactionTemplate = ""

/// `compact()` of a database built by ingesting the query-sized stream (30 days, one flush per
/// day plus late-arrival segments). Each iteration compacts a fresh copy.
func registerTallyCompaction() {
    let events = Settings.queryEvents
    Benchmark(
        "Tally compact",
        configuration: .init(
            metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident, .peakMemoryResidentDelta],
            tags: ["events": "\(events)"], maxIterations: min(Settings.iterations, 3))
    ) { benchmark in
        let directory = ScratchDirectory("compact")
        let path = directory.file("compact.tally")
        do {
            try FileManager.default.copyItem(atPath: compactionTemplate, toPath: path)
            let db = try Tally.open(at: path)
            benchmark.startMeasurement()
            let result = try db.compact()
            benchmark.stopMeasurement()
            blackHole(result)
            try db.close()
        } catch {
            benchmark.error("\(error)")
        }
        directory.remove()
    } setup: {
        let path = scratchDirectory().file("template.tally")
        var options = Options()
        options.durability = .off
        let db = try Tally.open(at: path, options: options)
        for batch in Dataset.batches(Dataset.events(count: events), size: 10_000) { try db.ingest(batch) }
        try db.close()
        compactionTemplate = path
    } teardown: {
        removeScratch()
    }
}

// MARK: - Reference queries

func registerQueries() {
    let events = Settings.queryEvents
    let configuration = Benchmark.Configuration(
        metrics: queryMetrics, tags: ["events": "\(events)"], warmupIterations: 1, maxDuration: .seconds(5),
        maxIterations: 50)

    func tallySetup() throws {
        let directory = scratchDirectory()
        let path = directory.file("query.tally")
        let all = Dataset.events(count: events)
        q3From = Dataset.lastSevenDaysStart(newestTimestamp: all.map(\.timestamp).max() ?? 0)
        var options = Options()
        options.durability = .off
        let writer = try Tally.open(at: path, options: options)
        for batch in Dataset.batches(all, size: 10_000) { try writer.ingest(batch) }
        try writer.close()
        queryDatabase = try Tally.open(at: path)
    }

    func sqliteSetup() throws {
        let directory = scratchDirectory()
        let all = Dataset.events(count: events)
        q3From = Dataset.lastSevenDaysStart(newestTimestamp: all.map(\.timestamp).max() ?? 0)
        let peer = try SQLitePeer(path: directory.file("query.sqlite"), synchronous: "OFF")
        for batch in SQLitePeer.batches(all, size: 10_000) { try peer.ingest(batch) }
        try peer.checkpoint()
        queryPeer = peer
    }

    let queries: [(String, (Tally) throws -> Int, (SQLitePeer) throws -> Int)] = [
        ("q1 events per metric per day", { try TallyQueries.q1($0).count }, { try $0.q1().count }),
        ("q3 top 10 utm_source by units, last 7 days", { try TallyQueries.q3($0, from: q3From).count },
         { try $0.q3(from: q3From).count }),
        ("q4 hourly pageviews t0001 US", { try TallyQueries.q4($0).count }, { try $0.q4().count }),
    ]
    Benchmark("Tally q2 variant report checkout_button", configuration: configuration) { benchmark in
        guard let db = queryDatabase else { return benchmark.error("no database") }
        do { blackHole(try TallyQueries.q2(db).count) } catch { benchmark.error("\(error)") }
    } setup: {
        try tallySetup()
    } teardown: {
        try? queryDatabase?.close()
        removeScratch()
    }
    // The SQLite peer has no q2 yet: it would need an assignment table and per-event credit
    // upserts on top of the rollup (see BENCHMARKS.md).
    for (name, tally, sqlite) in queries {
        Benchmark("Tally \(name)", configuration: configuration) { benchmark in
            guard let db = queryDatabase else { return benchmark.error("no database") }
            do { blackHole(try tally(db)) } catch { benchmark.error("\(error)") }
        } setup: {
            try tallySetup()
        } teardown: {
            try? queryDatabase?.close()
            removeScratch()
        }
        Benchmark("SQLite \(name)", configuration: configuration) { benchmark in
            guard let peer = queryPeer else { return benchmark.error("no database") }
            do { blackHole(try sqlite(peer)) } catch { benchmark.error("\(error)") }
        } setup: {
            try sqliteSetup()
        } teardown: {
            queryPeer = nil
            removeScratch()
        }
    }
}
