import Foundation
import Tally
import TallyTesting

/// `write`: the child of the kill loop and of the readers procedure. Opens DB as the writer,
/// prints `open <ms>`, then ingests ``CrashWorkload`` streams from several threads, printing
/// `ack <batch id> new|dup` after each acknowledged batch; a flushing thread and (with
/// `--query`) a querying thread that prints `violation …` when it sees an inconsistent state and
/// (with `--maintenance-ms`) a thread applying retention and compacting run beside them. On any error it prints `error <code> <errno> <message>` and exits 3 at once.
/// With `--batches N` each stream stops after N batches, the database is closed and `done`
/// printed; otherwise it runs until killed.
struct Writer {
    let path: String
    let starts: [(stream: Int, index: Int)]
    let workload: CrashWorkload
    let flushMilliseconds: Int
    let query: Bool
    let batches: Int
    /// A maintenance thread runs ``CrashWorkload/maintain(_:)`` (filler, retention, compaction)
    /// every this many milliseconds (0: never).
    let maintenanceMilliseconds: Int
    /// Harness self-test only: print each ack before the batch is ingested, a lie that the kill
    /// loop must catch as lost batches.
    let acknowledgeEarly: Bool

    init(_ arguments: inout Arguments) throws {
        path = try arguments.path(0)
        starts = try arguments.string("start", default: "0:0,1:0,2:0").split(separator: ",").map { pair in
            let parts = pair.split(separator: ":")
            guard parts.count == 2, let stream = Int(parts[0]), let index = Int(parts[1]) else {
                throw UsageError("--start takes stream:index pairs")
            }
            return (stream, index)
        }
        workload = CrashWorkload(seed: UInt64(try arguments.int("seed", default: 1)))
        flushMilliseconds = try arguments.int("flush-ms", default: 25)
        query = arguments.isSet("query")
        batches = try arguments.int("batches", default: 0)
        acknowledgeEarly = arguments.isSet("sabotage-ack-early")
        maintenanceMilliseconds = try arguments.int("maintenance-ms", default: 0)
    }

    static func fail(_ error: Error) -> Never {
        if let error = error as? TallyError {
            emit("error \(error.code) \(error.osErrno ?? 0) \(error.message)")
        } else {
            emit("error other 0 \(error)")
        }
        exit(3)
    }

    func run() throws {
        let started = DispatchTime.now()
        let db: Tally
        do { db = try Tally.open(at: path) } catch { Self.fail(error) }
        emit("open \(format(milliseconds(since: started)))")
        let group = DispatchGroup()
        let stop = LockedFlag()
        for (stream, first) in starts {
            spawn(group) {
                var index = first
                while batches == 0 || index < first + batches {
                    let key = CrashWorkload.BatchKey(stream: stream, index: index)
                    do {
                        if acknowledgeEarly { emit("ack \(key.id) new") }
                        let result = try db.ingest(workload.events(key), batchID: key.id)
                        if !acknowledgeEarly { emit("ack \(key.id) \(result.duplicate ? "dup" : "new")") }
                    } catch { Self.fail(error) }
                    index += 1
                }
            }
        }
        let helpers = DispatchGroup()
        spawn(helpers) {
            while !stop.isSet {
                usleep(UInt32(max(1, flushMilliseconds)) * 1000)
                do { try db.flush() } catch { Self.fail(error) }
            }
        }
        if maintenanceMilliseconds > 0 {
            spawn(helpers) {
                while !stop.isSet {
                    usleep(UInt32(maintenanceMilliseconds) * 1000)
                    do { try CrashWorkload.maintain(db) } catch { Self.fail(error) }
                }
            }
        }
        if query {
            spawn(helpers) {
                while !stop.isSet {
                    do {
                        for problem in workload.consistencyViolations(try workload.observe(db), live: true) { emit("violation \(problem)") }
                    } catch { Self.fail(error) }
                    usleep(5000)
                }
            }
        }
        group.wait()
        stop.set()
        helpers.wait()
        do { try db.close() } catch { Self.fail(error) }
        emit("done")
    }
}

func spawn(_ group: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
    group.enter()
    let thread = Thread {
        body()
        group.leave()
    }
    thread.start()
}

final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
