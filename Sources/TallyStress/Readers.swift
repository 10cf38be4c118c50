import Foundation
import Tally
import TallyTesting

/// `read`: one read-only open during a live ingest; prints `ok batches=<n> open_ms=<ms>` when the
/// state it sees is consistent (every batch whole, each stream a prefix, the experiment state
/// agreeing with the batches) and `verify()` is clean, else `violation …` lines.
struct ReadCheck {
    let path: String
    let workload: CrashWorkload

    init(_ arguments: inout Arguments) throws {
        path = try arguments.path(0)
        workload = CrashWorkload(seed: UInt64(try arguments.int("seed", default: 1)))
    }

    func run() throws -> Int32 {
        var options = Options()
        options.readOnly = true
        options.createIfMissing = false
        do {
            let started = DispatchTime.now()
            let db = try Tally.open(at: path, options: options)
            let openTime = milliseconds(since: started)
            let observed = try workload.observe(db)
            let problems = workload.consistencyViolations(observed) + (try db.verify().problems.map { "verify: \($0)" })
            for problem in problems { emit("violation \(problem)") }
            if problems.isEmpty { emit("ok batches=\(observed.present.count) open_ms=\(format(openTime))") }
            return problems.isEmpty ? 0 : 1
        } catch let error as TallyError {
            emit("error \(error.code) \(error.osErrno ?? 0) \(error.message)")
            return 3
        }
    }
}

/// `readers` (issue 7, procedure 9; PRODUCT.md rule 7): while a `write` child ingests and
/// flushes, a second writer is refused naming the holder, and `--count` read-only `read`
/// processes (`--parallel` at a time) each see a consistent state. Then the writer is killed and
/// the database checked against everything it acknowledged.
struct Readers {
    let path: String
    let count: Int
    let parallel: Int
    let streams: Int
    let seed: UInt64

    init(_ arguments: inout Arguments) throws {
        path = try arguments.directory() + "/readers.tally"
        count = try arguments.int("count", default: 1000)
        parallel = try arguments.int("parallel", default: 2)
        streams = try arguments.int("streams", default: 3)
        seed = UInt64(try arguments.int("seed", default: 1))
    }

    func run() throws -> Int32 {
        let start = (0..<streams).map { "\($0):0" }.joined(separator: ",")
        let writer = try Child(["write", path, "--start", start, "--seed", String(seed), "--flush-ms", "15"])
        guard writer.waitForLine(startingWith: "open", seconds: 60) != nil else {
            emit("problem the writer did not open: \(writer.lines)")
            writer.kill()
            return 1
        }
        var problems: [String] = []
        // A second writer, in another process than the holder, is refused and told who holds it.
        var secondWriter = "opened"
        do {
            _ = try Tally.open(at: path)
            problems.append("a second writer opened the database")
        } catch let error as TallyError where error.code == .locked {
            secondWriter = "refused"
            if !error.message.contains("process \(writer.pid)") { problems.append("the lock error does not name the holder: \(error)") }
        }
        var ok = 0, failed = 0
        var openTimes: [Double] = [], batchesSeen: [Int] = []
        var next = 0
        while next < count {
            let wave = (next..<min(count, next + parallel)).map { _ in try? Child(["read", path, "--seed", String(seed)]) }
            next += wave.count
            for reader in wave {
                guard let reader else {
                    failed += 1
                    continue
                }
                let status = reader.wait()
                let lines = reader.lines
                if status == 0, let line = lines.first(where: { $0.hasPrefix("ok ") }) {
                    ok += 1
                    for field in line.split(separator: " ") {
                        if field.hasPrefix("open_ms="), let ms = Double(field.dropFirst(8)) { openTimes.append(ms) }
                        if field.hasPrefix("batches="), let n = Int(field.dropFirst(8)) { batchesSeen.append(n) }
                    }
                } else {
                    failed += 1
                    problems.append("reader (status \(status.map(String.init) ?? "signal")): \(lines.prefix(3))")
                }
            }
        }
        writer.kill()
        writer.wait()
        var acknowledged = Set<BatchKey>()
        for line in writer.lines where line.hasPrefix("ack ") {
            if let key = BatchKey(id: String(line.split(separator: " ")[1])) { acknowledged.insert(key) }
            else { problems.append("unreadable writer line \(line)") }
        }
        for line in writer.lines where line.hasPrefix("error") || line.hasPrefix("violation") { problems.append("writer: \(line)") }
        var sent = acknowledged
        for stream in 0..<streams {
            sent.insert(BatchKey(stream: stream, index: (acknowledged.filter { $0.stream == stream }.map(\.index).max() ?? -1) + 1))
        }
        let workload = CrashWorkload(seed: seed)
        do {
            let db = try Tally.open(at: path)
            problems += workload.violations(try workload.observe(db), acknowledged: acknowledged, sent: sent)
            problems += try db.verify().problems.map { "final verify: \($0)" }
            try db.close()
        } catch {
            problems.append("final open failed: \(error)")
        }
        for problem in problems.prefix(30) { emit("problem \(problem)") }
        emit("RELIABILITY-FIGURES procedure=readers readers=\(count) consistent=\(ok) failed=\(failed) "
            + "violations=\(problems.count) second_writer=\(secondWriter) writer_acknowledged=\(acknowledged.count) "
            + "batches_seen_min=\(batchesSeen.min() ?? 0) batches_seen_max=\(batchesSeen.max() ?? 0) "
            + "open_p50_ms=\(format(percentile(openTimes, 0.5))) open_p99_ms=\(format(percentile(openTimes, 0.99)))")
        return problems.isEmpty ? 0 : 1
    }
}

/// `probe FILE`: opens any file read-only as a database, asks every metric every measure, the
/// experiment reports and `verify()`, and prints the outcome with the peak resident memory, so
/// hostile files can be checked for bounded memory in a process of their own (procedure 6).
/// `probe --import NDJSON DB` imports NDJSON into a new database instead (procedure 7).
struct Probe {
    let path: String
    let importInto: String?

    init(_ arguments: inout Arguments) throws {
        let ndjson = arguments.string("import", default: "")
        path = ndjson.isEmpty ? try arguments.path(0) : ndjson
        importInto = ndjson.isEmpty ? nil : try arguments.path(0)
    }

    func run() throws -> Int32 {
        var options = Options()
        options.readOnly = true
        options.createIfMissing = false
        // The peak of start-up (runtime and libraries) would hide the probe's own: reset the
        // high-water mark first (Linux: writing 5 to clear_refs resets VmHWM).
        let baseline = Probe.residentKiB(field: "VmRSS:")
        if let clear = fopen("/proc/self/clear_refs", "w") {
            fputs("5", clear)
            fclose(clear)
        }
        var outcome: String
        if let importInto {
            do {
                let db = try Tally.open(at: importInto)
                let summary = try db.importNDJSON(fromPath: path)
                outcome = "imported \(summary.events)"
                try db.close()
            } catch let error as ImportLineError {
                outcome = "error line \(error.line): \(error.reason)"
            } catch let error as TallyError {
                outcome = "error \(error.code): \(error.message)"
            }
            let peak = Probe.residentKiB(field: "VmHWM:")
            emit("probe peak_rss_kib=\(peak) start_rss_kib=\(baseline) peak_growth_kib=\(peak - baseline) outcome=\(outcome)")
            return 0
        }
        do {
            let db = try Tally.open(at: path, options: options)
            let info = try db.info()
            for metric in info.metrics {
                _ = try db.query(Query(metric: metric.name, every: .day, measures: Set(Measure.allCases)))
            }
            for experiment in try db.experiments() { _ = try db.variantReport(experiment: experiment.name) }
            let report = try db.verify()
            outcome = report.isClean ? "clean" : "verify-problems \(report.problems.count)"
        } catch let error as TallyError {
            outcome = "error \(error.code) at \(error.offset.map(String.init) ?? "-"): \(error.message)"
        }
        let peak = Probe.residentKiB(field: "VmHWM:")
        emit("probe peak_rss_kib=\(peak) start_rss_kib=\(baseline) peak_growth_kib=\(peak - baseline) outcome=\(outcome)")
        return 0
    }

    /// A `kB` field of /proc/self/status (VmRSS: now, VmHWM: peak since the last reset).
    static func residentKiB(field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for line in text.split(separator: "\n") where line.hasPrefix(field) {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
        }
        return -1
    }
}
