import Foundation
@testable import Tally
import TallyTesting

typealias BatchKey = CrashWorkload.BatchKey

/// Runs a ``CrashWorkload`` against a database on a simulated file system until it finishes or
/// the file system crashes, recording what was sent and what was acknowledged.
struct CrashWorkloadRunner {
    var workload = CrashWorkload(seed: 1)
    /// Writer threads, one stream each. With one stream and no flusher thread the sequence of
    /// file-system calls is the same on every run, so crash points can be swept by call number.
    var streams = 1
    var batchesPerStream = 12
    /// A stream flushes after every this many of its batches (0: never explicitly).
    var flushEvery = 4
    /// A separate thread flushes in a loop while the writers run.
    var flusherThread = false
    /// A stream queries after every this many of its batches (0: never), reading segments.
    var queryEvery = 0
    /// A stream runs ``CrashWorkload/maintain(_:)`` (retention and compaction) after every this
    /// many of its batches (0: never).
    var maintenanceEvery = 0
    var durability = Durability.full
    /// Options tweak applied to every open (e.g. a crash hook).
    var configure: @Sendable (inout Options) -> Void = { _ in }

    struct Outcome {
        var acknowledged: Set<BatchKey> = []
        var sent: Set<BatchKey> = []
        /// Errors the API returned, in no particular order.
        var errors: [Error] = []
        var opened = false
        var closed = false
    }

    func options(_ fileSystem: SimulatedFileSystem) -> Options {
        var options = Fixtures.options(fileSystem, durability: durability)
        configure(&options)
        return options
    }

    /// Opens, runs every stream, closes. Stops a stream at its first error.
    func run(on fileSystem: SimulatedFileSystem) -> Outcome {
        let outcome = Locked(Outcome())
        let db: Tally
        do {
            db = try Tally.open(at: Fixtures.path, options: options(fileSystem))
        } catch {
            return Outcome(errors: [error])
        }
        outcome.withLock { $0.opened = true }
        let done = Locked(0)
        runThreads(streams + (flusherThread ? 1 : 0)) { thread in
            if thread == streams {
                while done.withLock({ $0 }) < streams {
                    do { try db.flush() } catch {
                        outcome.withLock { $0.errors.append(error) }
                        return
                    }
                    usleep(100)
                }
                return
            }
            defer { done.withLock { $0 += 1 } }
            for index in 0..<batchesPerStream {
                let key = BatchKey(stream: thread, index: index)
                outcome.withLock { _ = $0.sent.insert(key) }
                do {
                    try db.ingest(workload.events(key), batchID: key.id)
                    outcome.withLock { _ = $0.acknowledged.insert(key) }
                    if flushEvery > 0 && index % flushEvery == flushEvery - 1 { try db.flush() }
                    if queryEvery > 0 && index % queryEvery == queryEvery - 1 { _ = try workload.observe(db) }
                    if maintenanceEvery > 0 && index % maintenanceEvery == maintenanceEvery - 1 {
                        try CrashWorkload.maintain(db)
                    }
                } catch {
                    outcome.withLock { $0.errors.append(error) }
                    return
                }
            }
        }
        do {
            try db.close()
            outcome.withLock { $0.closed = true }
        } catch {
            outcome.withLock { $0.errors.append(error) }
        }
        return outcome.withLock { $0 }
    }

    /// Opens the database a restarted process finds on `disk` and checks it against the model.
    /// Returns the violations (empty when the state is one the promises allow).
    /// - Parameter requireAcknowledged: whether every acknowledged batch must be present (false
    ///   for power loss under durability `normal` or `off`).
    func check(
        _ disk: SimulatedFileSystem, _ outcome: Outcome, requireAcknowledged: Bool = true, verify: Bool = true
    ) -> [String] {
        do {
            var options = Fixtures.options(disk)
            options.durability = .full
            let db = try Tally.open(at: Fixtures.path, options: options)
            defer { try? db.close() }
            let observed = try workload.observe(db)
            var problems = workload.violations(
                observed, acknowledged: requireAcknowledged ? outcome.acknowledged : [], sent: outcome.sent)
            if verify {
                let report = try db.verify()
                problems += report.problems.map { "verify: \($0)" }
            }
            // Rule 2 across the crash: a present batch sent again is a duplicate.
            if let key = observed.present.max(), try !db.ingest(workload.events(key), batchID: key.id).duplicate {
                problems.append("batch \(key) was accepted again after recovery")
            }
            // Leftovers are swept (R1) and a stale log is gone (W2).
            for name in try disk.contentsOfDirectory(atPath: "/db")
            where name.hasPrefix("test.tally.creating") || name == "test.tally.compacting" {
                problems.append("leftover \(name) was not removed")
            }
            return problems
        } catch {
            return ["does not recover: \(error)"]
        }
    }
}

/// Runs `body(0..<count)` on `count` threads at once and waits for all of them.
func runThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    var threads: [Thread] = []
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            body(index)
            group.leave()
        }
        thread.stackSize = 4 << 20
        threads.append(thread)
    }
    for thread in threads { thread.start() }
    group.wait()
}
