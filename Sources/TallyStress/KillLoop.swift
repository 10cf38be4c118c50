import Foundation
import Tally
import TallyTesting

typealias BatchKey = CrashWorkload.BatchKey

/// `kill-loop` (issue 7, procedure 1; PRODUCT.md rules 1–3): runs `write` children that ingest
/// from several threads while flushing and querying (and, in half the cycles, applying
/// retention and compacting), kills each with SIGKILL at a random
/// moment (some during start-up and recovery), and after each kill opens the database
/// read-only (and every tenth cycle as the writer) to check it against the model of
/// acknowledged batches: none lost, none counted twice, none half-visible; it opens every time.
///
/// Each child resends the last batch acknowledged on every stream (it must come back as a
/// duplicate) and the one that was in flight (a duplicate if it had become durable).
struct KillLoop {
    let path: String
    let cycles: Int
    let streams: Int
    let seed: UInt64
    let maxDelay: Int
    let workload: CrashWorkload
    /// Extra arguments for every `write` child (`--sabotage-ack-early` for the self-test).
    let writerArguments: [String]

    init(_ arguments: inout Arguments) throws {
        path = try arguments.directory() + "/kill.tally"
        cycles = try arguments.int("cycles", default: 200)
        streams = try arguments.int("streams", default: 3)
        seed = UInt64(try arguments.int("seed", default: 1))
        maxDelay = try arguments.int("max-delay-ms", default: 400)
        workload = CrashWorkload(seed: seed)
        writerArguments = arguments.isSet("sabotage-ack-early") ? ["--sabotage-ack-early"] : []
    }

    struct Model {
        var acknowledged: Set<BatchKey> = []
        var sent: Set<BatchKey> = []
        var lastAcknowledged: [Int: Int] = [:]
        var presentAtLastCheck: Set<BatchKey> = []
    }

    func run() throws -> Int32 {
        var random = SplitMix64(seed: seed)  // a run's kill delays are reproducible from `--seed`
        var model = Model()
        var violations: [String] = []
        var childErrors: [String] = []
        var childOpen: [Double] = [], readOnlyOpen: [Double] = [], writerOpen: [Double] = []
        var killedBeforeOpen = 0, acks = 0, duplicates = 0
        for cycle in 0..<cycles {
            let starts = (0..<streams).map { ($0, model.lastAcknowledged[$0] ?? 0) }
            let child = try Child([
                "write", path, "--start", starts.map { "\($0.0):\($0.1)" }.joined(separator: ","),
                "--seed", String(seed), "--flush-ms", String(Int.random(in: 5...60, using: &random)), "--query",
                "--maintenance-ms", String(Int.random(in: 0..<2, using: &random) == 0 ? 0 : Int.random(in: 20...120, using: &random)),
            ] + writerArguments)
            let early = Int.random(in: 0..<100, using: &random) < 15
            let delay = early ? Int.random(in: 0..<40, using: &random) : Int.random(in: 40...max(41, maxDelay), using: &random)
            usleep(UInt32(delay) * 1000)
            child.kill()
            let status = child.wait()
            var opened = false
            for line in child.lines {
                let words = line.split(separator: " ", maxSplits: 2).map(String.init)
                switch words.first {
                case "open":
                    opened = true
                    childOpen.append(Double(words[1]) ?? 0)
                case "ack":
                    guard words.count == 3, let key = BatchKey(id: words[1]) else {
                        violations.append("cycle \(cycle): unreadable line \(line)")
                        continue
                    }
                    acks += 1
                    if words[2] == "dup" {
                        duplicates += 1
                        if !model.sent.contains(key) { violations.append("cycle \(cycle): \(key) acknowledged as a duplicate but never sent before") }
                    } else if model.acknowledged.contains(key) || model.presentAtLastCheck.contains(key) {
                        violations.append("cycle \(cycle): \(key) was stored before and accepted again (counted twice)")
                    }
                    model.acknowledged.insert(key)
                    model.lastAcknowledged[key.stream] = max(model.lastAcknowledged[key.stream] ?? 0, key.index)
                case "violation":
                    violations.append("cycle \(cycle), live query: \(line)")
                case "error":
                    childErrors.append("cycle \(cycle): \(line)")
                default:
                    violations.append("cycle \(cycle): unexpected output \(line)")
                }
            }
            if status != nil { childErrors.append("cycle \(cycle): the child exited by itself with status \(status!)") }
            if !opened { killedBeforeOpen += 1 }
            for (stream, start) in starts {
                let last = model.lastAcknowledged[stream] ?? -1
                for index in start...max(start, last + 1) { model.sent.insert(BatchKey(stream: stream, index: index)) }
            }
            let check = self.check(model: &model, writer: cycle % 10 == 9 || cycle == cycles - 1)
            violations += check.problems.map { "cycle \(cycle): \($0)" }
            readOnlyOpen.append(check.readOnlyOpen)
            if let writer = check.writerOpen { writerOpen.append(writer) }
        }
        for problem in (violations + childErrors).prefix(30) { emit("problem \(problem)") }
        emit("RELIABILITY-FIGURES procedure=kill-loop cycles=\(cycles) streams=\(streams) violations=\(violations.count) "
            + "child_errors=\(childErrors.count) acknowledged=\(model.acknowledged.count) acks=\(acks) duplicates=\(duplicates) "
            + "kills_before_open=\(killedBeforeOpen) "
            + "recovery_readonly_p50_ms=\(format(percentile(readOnlyOpen, 0.5))) recovery_readonly_p99_ms=\(format(percentile(readOnlyOpen, 0.99))) "
            + "recovery_writer_p50_ms=\(format(percentile(writerOpen, 0.5))) recovery_writer_p99_ms=\(format(percentile(writerOpen, 0.99))) "
            + "child_open_p50_ms=\(format(percentile(childOpen, 0.5))) child_open_p99_ms=\(format(percentile(childOpen, 0.99)))")
        return violations.isEmpty && childErrors.isEmpty ? 0 : 1
    }

    /// Opens the killed database read-only (and as the writer when `writer`) and checks it.
    func check(model: inout Model, writer: Bool) -> (problems: [String], readOnlyOpen: Double, writerOpen: Double?) {
        var problems: [String] = []
        var readOnlyTime = 0.0
        var writerTime: Double?
        func inspect(_ db: Tally) throws {
            let observed = try workload.observe(db)
            problems += workload.violations(observed, acknowledged: model.acknowledged, sent: model.sent)
            problems += try db.verify().problems.map { "verify: \($0)" }
            model.presentAtLastCheck = observed.present
        }
        do {
            var options = Options()
            options.readOnly = true
            options.createIfMissing = false
            let started = DispatchTime.now()
            let db = try Tally.open(at: path, options: options)
            readOnlyTime = milliseconds(since: started)
            try inspect(db)
            try db.close()
        } catch let error as TallyError where error.code == .notFound && model.acknowledged.isEmpty {
            // Killed before the database was created: nothing to check.
        } catch {
            problems.append("read-only open or check failed: \(error)")
        }
        if writer {
            do {
                let started = DispatchTime.now()
                let db = try Tally.open(at: path)
                writerTime = milliseconds(since: started)
                try inspect(db)
                try db.close()
            } catch {
                problems.append("writer open or check failed: \(error)")
            }
        }
        return (problems, readOnlyTime, writerTime)
    }
}
