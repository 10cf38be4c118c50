import BenchSupport
import Dispatch
import Foundation
import Tally
import TallyWorkload

// tally-bench: helpers for peers/compare.py and for checking the harness itself.
//
//   tally-bench generate --events N [--seed S] [--days D] [--out FILE]
//       The project's event stream as NDJSON (stdout when --out is absent).
//   tally-bench check [--events N] [--seed S]
//       Ingests one stream into Tally and into the SQLite peer and compares q1, q3, q4.
//   tally-bench import DB FILE [--batch N] [--durability full|normal|off] [--exposure-metric M]
//       `Tally.importNDJSON` with the handle's durability (default normal): what `tally import`
//       does, for use until the CLI is merged. Prints the events and seconds.
//   tally-bench ingest DB [--events N] [--seed S] [--days D] [--batch N] [--durability full|normal|off] [--threads N] [--dry-run 1]
//       `Tally.ingest` of the generated stream in batches (default 10 000, durability full), as
//       the ordo-one ingest benchmarks do, for profiling outside the plugin. Prints the events,
//       the seconds of the ingest and of the final close (the flush of the rest of the head).
//       With --threads N, N threads ingest batches t, t + N, … as the `threads=2` benchmarks do.
//       With --dry-run, only generates and batches the events (no database).
//   tally-bench crash-copy DB [--events N] [--seed S] [--days D] [--head-only 1]
//       Ingests one day (or D days) of traffic (nothing flushed) and copies the file and its log
//       while the handle is open: DB and DB-wal are what a crash leaves. For `tally-bench open`.
//       With --head-only, prints the head's bytes against the default memory budget instead.
//   tally-bench open DB
//       Times opening DB (log replay included) and prints the seconds and the events replayed.
//   tally-bench compact DB
//       Compacts DB in place; prints seconds, bytes before and after, and bytes per event.
//   tally-bench open-close DB
//       Opens DB, reads its info and closes it: what `compact` does besides compacting.
//   tally-bench info DB
//       Events, rollup rows, series and bytes per metric and in all: how much the rollup
//       condenses the stream, which decides the cost of flushes and queries.
//   tally-bench query DB --q3-from MS [--repeat N] [--only q1,q2,q3,q4] [--threads N]
//       Opens DB once and runs q1-q4 in process: one cold run, then N timed warm runs.
//       Prints JSON: the answers, the cold time and the warm median in seconds.

func usage() -> Never {
    Foundation.FileHandle.standardError.write(Data("""
        usage: tally-bench generate --events N [--seed S] [--days D] [--out FILE]
               tally-bench check [--events N] [--seed S]
               tally-bench import DB FILE [--batch N] [--durability full|normal|off] [--exposure-metric M]
               tally-bench query DB --q3-from MS [--repeat N] [--only q1,q2,q3,q4] [--threads N]
               tally-bench info DB
               tally-bench compact DB
               tally-bench open-close DB
               tally-bench ingest DB [--events N] [--seed S] [--days D] [--batch N] [--durability full|normal|off] [--threads N] [--dry-run 1]
               tally-bench crash-copy DB [--events N] [--seed S] [--days D] [--head-only 1]
               tally-bench open DB

        """.utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else { usage() }
arguments.removeFirst()
nonisolated(unsafe) var flags: [String: String] = [:]
nonisolated(unsafe) var positional: [String] = []
while let argument = arguments.first {
    if argument.hasPrefix("--") {
        guard arguments.count >= 2 else { usage() }
        flags[String(argument.dropFirst(2))] = arguments[1]
        arguments.removeFirst(2)
    } else {
        positional.append(argument)
        arguments.removeFirst()
    }
}
let events = flags["events"].flatMap(Int.init) ?? 1_000_000
let seed = flags["seed"].flatMap(UInt64.init) ?? 7
let days = flags["days"].flatMap(Int.init) ?? 30

func generate() throws {
    let output: Foundation.FileHandle
    if let path = flags["out"] {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = Foundation.FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileWriteNoPermission) }
        output = handle
    } else {
        output = Foundation.FileHandle.standardOutput
    }
    var buffer: [UInt8] = []
    buffer.reserveCapacity(1 << 20)
    var written = 0
    for event in WorkloadGenerator(WorkloadOptions(events: events, days: days, seed: seed)) {
        event.appendNDJSON(to: &buffer)
        written += 1
        if buffer.count >= 1 << 20 {
            output.write(Data(buffer))
            buffer.removeAll(keepingCapacity: true)
        }
    }
    output.write(Data(buffer))
    Foundation.FileHandle.standardError.write(Data("wrote \(written) events\n".utf8))
}

func check() throws {
    let all = Dataset.events(count: events, seed: seed)
    let from = Dataset.lastSevenDaysStart(newestTimestamp: all.map(\.timestamp).max() ?? 0)
    let directory = ScratchDirectory("check")
    defer { directory.remove() }
    var options = Options()
    options.durability = .off
    let db = try Tally.open(at: directory.file("check.tally"), options: options)
    for batch in Dataset.batches(all, size: 10_000) { try db.ingest(batch) }
    let head = try TallyQueries.all(db, q3From: from)
    try db.close()
    let reopened = try Tally.open(at: directory.file("check.tally"))
    let flushed = try TallyQueries.all(reopened, q3From: from)
    try reopened.close()
    let peer = try SQLitePeer(path: directory.file("check.sqlite"), synchronous: "OFF")
    for batch in SQLitePeer.batches(all, size: 10_000) { try peer.ingest(batch) }
    let truth = try peer.all(q3From: from)
    var failed = false
    for (label, answers) in [("before close", head), ("after reopen", flushed)] {
        let problems = answers.differences(from: truth)
        print("\(label): q1 \(answers.q1.count) rows, q3 \(answers.q3.count) rows, q4 \(answers.q4.count) rows: "
            + (problems.isEmpty ? "agree with SQLite" : "DISAGREE"))
        for problem in problems { print("  \(problem)") }
        failed = failed || !problems.isEmpty
    }
    for (tally, exact) in zip(flushed.q3, truth.q3) {
        print(String(format: "  q3 %@ %.0f (SQLite %@ %.0f)", tally.source, tally.units, exact.source, exact.units))
    }
    if failed { exit(1) }
}

func importFile() throws {
    guard positional.count == 2 else { usage() }
    var options = Options()
    if let name = flags["durability"] {
        guard let durability = Durability(rawValue: name) else { usage() }
        options.durability = durability
    } else {
        options.durability = .normal
    }
    // Profiling aid: a metric that never occurs turns experiment attribution off.
    if let exposure = flags["exposure-metric"] { options.exposureMetric = exposure }
    let batchSize = flags["batch"].flatMap(Int.init) ?? 10_000
    let start = Date()
    let db = try Tally.open(at: positional[0], options: options)
    var importOptions = ImportOptions()
    importOptions.batchSize = batchSize
    let count = try db.importNDJSON(fromPath: positional[1], options: importOptions).events
    try db.close()
    print("imported \(count) events in \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
}

func query() throws {
    guard positional.count == 1, let from = flags["q3-from"].flatMap(Int64.init) else { usage() }
    let repeats = max(1, flags["repeat"].flatMap(Int.init) ?? 5)
    let openStart = DispatchTime.now().uptimeNanoseconds
    let db = try Tally.open(at: positional[0], options: {
        var o = Options()
        o.readOnly = true
        if let threads = flags["threads"].flatMap(Int.init) { o.queryThreads = threads }
        return o
    }())
    let openSeconds = Double(DispatchTime.now().uptimeNanoseconds - openStart) / 1e9
    var report: [String: Any] = ["open_s": openSeconds]
    let only = flags["only"].map { Set($0.split(separator: ",").map(String.init)) }
    func measure(_ name: String, _ run: () throws -> Any) throws {
        if let only, !only.contains(name) { return }
        var times: [Double] = []
        var answer: Any = []
        for _ in 0...repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            answer = try run()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        let warm = times.dropFirst().sorted()
        report[name] = ["cold_s": times[0], "median_s": warm[warm.count / 2], "answer": answer]
    }
    try measure("q1") { try TallyQueries.q1(db).map { [$0.metric, $0.day, $0.events] as [Any] } }
    try measure("q2") {
        try TallyQueries.q2(db).map {
            [$0.variant, $0.unitsExposed, $0.convertedUnits, $0.conversions, $0.purchasers, $0.purchases,
             ($0.revenue * 100).rounded() / 100] as [Any]
        }
    }
    try measure("q3") { try TallyQueries.q3(db, from: from).map { [$0.source, $0.units] as [Any] } }
    try measure("q4") { try TallyQueries.q4(db).map { [$0.hour, $0.events] as [Any] } }
    try db.close()
    let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
    print(String(decoding: json, as: UTF8.self))
}

func info() throws {
    guard positional.count == 1 else { usage() }
    let db = try Tally.open(at: positional[0], options: {
        var o = Options()
        o.readOnly = true
        if let threads = flags["threads"].flatMap(Int.init) { o.queryThreads = threads }
        return o
    }())
    let info = try db.info()
    let events = Double(max(info.eventsIngested, 1))
    let rows = info.partitions.reduce(0) { $0 + $1.rows }
    let bytes = info.partitions.reduce(0) { $0 + $1.bytes }
    let raw = info.partitions.reduce(0) { $0 + $1.rawBytes }
    print("events \(info.eventsIngested), rows \(rows) (\(String(format: "%.3f", Double(rows) / events)) per event), "
        + "partitions \(info.partitions.count), segments \(info.segments.count)")
    print("file \(info.fileBytes) bytes (\(String(format: "%.2f", Double(info.fileBytes) / events)) per event); "
        + "segments \(bytes) bytes (\(String(format: "%.2f", Double(bytes) / events)) per event, raw \(raw), "
        + "ratio \(String(format: "%.2f", Double(raw) / Double(max(bytes, 1)))))")
    for metric in info.metrics {
        print("  \(metric.name): events \(metric.events), rows \(metric.rows) "
            + "(\(String(format: "%.3f", Double(metric.rows) / Double(max(metric.events, 1)))) per event), series \(metric.series)")
    }
    try db.close()
}

func ingestStream() throws {
    guard positional.count == 1 else { usage() }
    var options = Options()
    switch flags["durability"] ?? "full" {
    case "full": options.durability = .full
    case "normal": options.durability = .normal
    case "off": options.durability = .off
    default: usage()
    }
    let batches = Dataset.batches(
        Dataset.events(count: events, seed: seed, days: days), size: flags["batch"].flatMap(Int.init) ?? 10_000)
    // The generation alone: the baseline that instructions.py subtracts.
    if flags["dry-run"] != nil { return print("\(batches.reduce(0) { $0 + $1.count }) events generated") }
    let db = try Tally.open(at: positional[0], options: options)
    let threads = flags["threads"].flatMap(Int.init) ?? 1
    let start = DispatchTime.now().uptimeNanoseconds
    if threads == 1 {
        for batch in batches { try db.ingest(batch) }
    } else {
        // As the ordo-one benchmark's `threads=2`: thread t ingests batches t, t + threads, …
        let lock = NSLock()
        nonisolated(unsafe) var failure: Error?
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in stride(from: thread, to: batches.count, by: threads) {
                do { try db.ingest(batches[index]) } catch { lock.withLock { failure = failure ?? error } }
            }
        }
        if let failure { throw failure }
    }
    let ingested = DispatchTime.now().uptimeNanoseconds
    try db.close()
    let closed = DispatchTime.now().uptimeNanoseconds
    let count = batches.reduce(0) { $0 + $1.count }
    print("\(count) events: ingest \(Double(ingested - start) / 1e9) s, close \(Double(closed - ingested) / 1e9) s")
}

func crashCopy() throws {
    guard positional.count == 1 else { usage() }
    let target = positional[0]
    let directory = ScratchDirectory("crash-copy")
    defer { directory.remove() }
    var options = Options()
    options.durability = .normal
    options.memoryBudgetBytes = 8 << 30
    options.walBudgetBytes = 8 << 30
    let source = directory.file("source.tally")
    let db = try Tally.open(at: source, options: options)
    var count = 0
    // One day unless --days is given.
    let spread = flags["days"] == nil ? 1 : days
    for batch in Dataset.batches(Dataset.events(count: events, seed: seed, days: spread), size: 10_000) {
        try db.ingest(batch)
        count += batch.count
    }
    let info = try db.info()
    if flags["head-only"] != nil {
        // What the head of `events` events of one day holds, against the default memory budget.
        print("\(count) events: head \(info.headBytes) bytes, \(info.headCells) cells; default budget \(Options().memoryBudgetBytes) bytes")
        try db.close()
        return
    }
    guard info.headEvents == count, info.walBytes > 0 else {
        throw TallyError(.invalidArgument, "expected \(count) events in the log, found \(info.headEvents)")
    }
    for suffix in ["", "-wal"] {
        try? FileManager.default.removeItem(atPath: target + suffix)
        try FileManager.default.copyItem(atPath: source + suffix, toPath: target + suffix)
    }
    print("\(target): \(count) events in a \(info.walBytes)-byte log")
    try db.close()
}

func openDatabase() throws {
    guard positional.count == 1 else { usage() }
    let start = DispatchTime.now().uptimeNanoseconds
    var options = Options()
    options.memoryBudgetBytes = 8 << 30
    options.walBudgetBytes = 8 << 30
    let db = try Tally.open(at: positional[0], options: options)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let info = try db.info()
    print("opened in \(String(format: "%.3f", seconds)) s; \(info.headEvents) events replayed from the log")
    exit(0)  // no close: closing would flush, and the copy stays reusable
}

/// What `compact` does besides compacting (instructions.py's baseline for it).
func openAndClose() throws {
    guard positional.count == 1 else { usage() }
    let db = try Tally.open(at: positional[0])
    _ = try db.info()
    try db.close()
}

func compactDatabase() throws {
    guard positional.count == 1 else { usage() }
    let db = try Tally.open(at: positional[0])
    let events = Double(max(try db.info().eventsIngested, 1))
    let start = DispatchTime.now().uptimeNanoseconds
    let result = try db.compact()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    try db.close()
    let report: [String: Any] = [
        "seconds": seconds, "bytes_before": result.bytesBefore, "bytes_after": result.bytesAfter,
        "bytes_per_event_after": Double(result.bytesAfter) / events, "segments_before": result.segmentsBefore,
        "segments_after": result.segmentsAfter, "rows_after": result.rowsAfter,
    ]
    print(String(decoding: try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]), as: UTF8.self))
}

do {
    switch command {
    case "compact": try compactDatabase()
    case "open-close": try openAndClose()
    case "crash-copy": try crashCopy()
    case "ingest": try ingestStream()
    case "open": try openDatabase()
    case "info": try info()
    case "generate": try generate()
    case "check": try check()
    case "import": try importFile()
    case "query": try query()
    default: usage()
    }
} catch {
    Foundation.FileHandle.standardError.write(Data("tally-bench: \(error)\n".utf8))
    exit(1)
}
