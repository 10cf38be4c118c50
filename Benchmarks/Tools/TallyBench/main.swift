import BenchSupport
import Dispatch
import Foundation
import Tally

// tally-bench: helpers for peers/compare.py and for checking the harness itself.
//
//   tally-bench generate --events N [--seed S] [--days D] [--out FILE]
//       The project's event stream as NDJSON (stdout when --out is absent).
//   tally-bench check [--events N] [--seed S]
//       Ingests one stream into Tally and into the SQLite peer and compares q1, q3, q4.
//   tally-bench import DB FILE [--batch N] [--durability full|normal|off]
//       Stand-in for `tally import` until Tally.importNDJSON is merged: a local NDJSON reader
//       feeding `ingest`. Prints the events and seconds.
//   tally-bench query DB --q3-from MS [--repeat N]
//       Opens DB once and runs q1, q3, q4 in process: one cold run, then N timed warm runs.
//       Prints JSON: the answers, the cold time and the warm median in seconds.

func usage() -> Never {
    Foundation.FileHandle.standardError.write(Data("""
        usage: tally-bench generate --events N [--seed S] [--days D] [--out FILE]
               tally-bench check [--events N] [--seed S]
               tally-bench import DB FILE [--batch N] [--durability full|normal|off]
               tally-bench query DB --q3-from MS [--repeat N]

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
let seed = flags["seed"].flatMap(UInt64.init) ?? 1
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
    LocalEventSource(events: events, seed: seed, days: days).forEach { event in
        NDJSON.append(event, to: &buffer)
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
    let batchSize = flags["batch"].flatMap(Int.init) ?? 10_000
    let start = Date()
    let db = try Tally.open(at: positional[0], options: options)
    var count = 0
    try NDJSONReader.read(path: positional[1], batchSize: batchSize) { batch in
        try db.ingest(batch)
        count += batch.count
    }
    try db.close()
    print("imported \(count) events in \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
}

func query() throws {
    guard positional.count == 1, let from = flags["q3-from"].flatMap(Int64.init) else { usage() }
    let repeats = max(1, flags["repeat"].flatMap(Int.init) ?? 5)
    let openStart = DispatchTime.now().uptimeNanoseconds
    let db = try Tally.open(at: positional[0], options: { var o = Options(); o.readOnly = true; return o }())
    let openSeconds = Double(DispatchTime.now().uptimeNanoseconds - openStart) / 1e9
    var report: [String: Any] = ["open_s": openSeconds]
    func measure(_ name: String, _ run: () throws -> Any) throws {
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
    try measure("q3") { try TallyQueries.q3(db, from: from).map { [$0.source, $0.units] as [Any] } }
    try measure("q4") { try TallyQueries.q4(db).map { [$0.hour, $0.events] as [Any] } }
    try db.close()
    let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
    print(String(decoding: json, as: UTF8.self))
}

do {
    switch command {
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
