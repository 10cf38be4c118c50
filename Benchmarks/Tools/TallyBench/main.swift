import BenchSupport
import Foundation
import Tally

// tally-bench: helpers for peers/compare.py and for checking the harness itself.
//
//   tally-bench generate --events N [--seed S] [--days D] [--out FILE]
//       The project's event stream as NDJSON (stdout when --out is absent).
//   tally-bench check [--events N] [--seed S]
//       Ingests one stream into Tally and into the SQLite peer and compares q1, q3, q4.

func usage() -> Never {
    Foundation.FileHandle.standardError.write(Data("""
        usage: tally-bench generate --events N [--seed S] [--days D] [--out FILE]
               tally-bench check [--events N] [--seed S]

        """.utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else { usage() }
arguments.removeFirst()
nonisolated(unsafe) var flags: [String: String] = [:]
while let flag = arguments.first, flag.hasPrefix("--"), arguments.count >= 2 {
    flags[String(flag.dropFirst(2))] = arguments[1]
    arguments.removeFirst(2)
}
guard arguments.isEmpty else { usage() }
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

do {
    switch command {
    case "generate": try generate()
    case "check": try check()
    default: usage()
    }
} catch {
    Foundation.FileHandle.standardError.write(Data("tally-bench: \(error)\n".utf8))
    exit(1)
}
