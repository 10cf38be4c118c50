import Glibc
import Testing
@testable import Tally
import TallyTesting

/// Issue 7, procedure 4: `EIO` and `ENOSPC` at the N-th read, write, sync, rename, remove,
/// truncate, directory sync and open, once and persistently, during create, ingest, query,
/// flush and close, and during recovery. For every N:
/// - the error reaches the caller, as `io` (or `needs-reopen`) with the injected errno, never
///   as corruption;
/// - nothing acknowledged is lost: after the failure, a restarted process and a power cut that
///   drops every unsynced write both find every acknowledged batch, whole (the simulated disk
///   never makes a failed sync's writes durable, so an engine that retried a failed sync as if
///   it had succeeded would lose batches here);
/// - `verify()` passes after reopening.
@Suite struct IOFaultTests {
    static let operations: [SimulatedFileSystem.Operation] = [
        .read, .write, .sync, .rename, .remove, .truncate, .syncDirectory, .open,
    ]

    struct Variant: CustomStringConvertible {
        var operation: SimulatedFileSystem.Operation
        var errno: Int32
        var persistent: Bool
        var partialWrite = false
        var description: String {
            "\(operation) \(errno == EIO ? "EIO" : "ENOSPC")\(persistent ? " persistent" : "")\(partialWrite ? " partial" : "")"
        }
    }

    static var variants: [Variant] {
        var variants: [Variant] = []
        let errnos = ReliabilitySettings.isFull ? [EIO, ENOSPC] : [EIO]
        for operation in operations {
            for errno in errnos {
                for persistent in [false, true] {
                    variants.append(Variant(operation: operation, errno: errno, persistent: persistent))
                }
            }
        }
        variants.append(Variant(operation: .write, errno: ENOSPC, persistent: false, partialWrite: true))
        variants.append(Variant(operation: .write, errno: ENOSPC, persistent: true, partialWrite: true))
        return variants
    }

    /// Whether `errors` carry the fault to the caller.
    static func reported(_ variant: Variant, in errors: [Error]) -> Bool {
        errors.contains { error in
            guard let error = error as? TallyError else { return false }
            return (error.code == .io || error.code == .needsReopen) && error.osErrno == variant.errno
        }
    }

    static func misreported(_ errors: [Error]) -> [String] {
        errors.compactMap { error in
            guard let error = error as? TallyError else { return "not a TallyError: \(error)" }
            return [.io, .needsReopen].contains(error.code) ? nil : "reported as \(error.code): \(error)"
        }
    }

    func sweep(
        label: String, calls: (SimulatedFileSystem.Operation) -> Int,
        run: (Variant, Int) -> (fired: Bool, errors: [Error], checks: [(String, [String])])
    ) -> (tried: Int, fired: Int, violations: [String]) {
        let stride = ReliabilitySettings.knob("iofault_call_stride", fast: 3, full: 1)
        var tried = 0, fired = 0
        var violations: [String] = []
        for variant in Self.variants {
            for n in Swift.stride(from: 1, through: calls(variant.operation), by: stride) {
                tried += 1
                let (didFire, errors, checks) = run(variant, n)
                let place = "\(label): \(variant) at call \(n)"
                if didFire {
                    fired += 1
                    if !Self.reported(variant, in: errors) { violations.append("\(place): the error did not reach the caller") }
                }
                violations += Self.misreported(errors).map { "\(place): \($0)" }
                for (disk, problems) in checks { violations += problems.map { "\(place), \(disk): \($0)" } }
            }
        }
        return (tried, fired, violations)
    }

    /// Faults while a database is created, fed, queried, flushed and closed.
    @Test func faultsDuringCreateIngestQueryFlushAndClose() throws {
        var runner = CrashWorkloadRunner()
        runner.batchesPerStream = 10
        runner.flushEvery = 3
        runner.queryEvery = 2
        runner.maintenanceEvery = 4
        let probe = SimulatedFileSystem()
        #expect(runner.run(on: probe).errors.isEmpty)
        let result = sweep(label: "workload", calls: probe.callCount) { variant, n in
            let fileSystem = SimulatedFileSystem()
            fileSystem.inject(.init(
                kind: variant.operation, errno: variant.errno, afterCalls: n, persistent: variant.persistent,
                partialWrite: variant.partialWrite))
            let outcome = runner.run(on: fileSystem)
            let fired = fileSystem.callCount(variant.operation) >= n
            fileSystem.clearFaults()
            let checks = [
                ("kill", runner.check(fileSystem.processCrash(), outcome)),
                ("power loss", runner.check(fileSystem.powerLoss(.dropUnsynced), outcome)),
                ("torn", runner.check(fileSystem.powerLoss(.tearLastWrite), outcome)),
            ]
            return (fired, outcome.errors, checks)
        }
        #expect(result.violations.isEmpty, "\(result.violations.count) violations: \(result.violations.prefix(10))")
        ReliabilitySettings.report("io-faults-workload", [
            "runs": result.tried, "faults_fired": result.fired, "violations": result.violations.count,
        ])
    }

    /// Faults while a crashed database (segments, experiment blocks, a log to replay and a torn
    /// tail to cut) is opened and used.
    @Test func faultsDuringRecovery() throws {
        let corpus = try CorruptionSweepTests.corpus()
        // A torn tail for the writer to truncate.
        let walPath = WALFormat.path(forDatabase: Fixtures.path)
        var wal = corpus.snapshotFiles()[walPath]!
        wal += [UInt8](repeating: 0x5A, count: 40)
        corpus.setContents(wal, atPath: walPath)
        let runner = CrashWorkloadRunner(workload: CrashWorkload(seed: 3))
        var acknowledged = CrashWorkloadRunner.Outcome()
        acknowledged.acknowledged = Set((0..<8).map { BatchKey(stream: 0, index: $0) } + (0..<3).map { BatchKey(stream: 1, index: $0) })
        acknowledged.sent = acknowledged.acknowledged.union([BatchKey(stream: 2, index: 0)])
        func recover(_ fileSystem: SimulatedFileSystem) -> [Error] {
            do {
                let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
                _ = try runner.workload.observe(db)
                let key = BatchKey(stream: 2, index: 0)
                try db.ingest(runner.workload.events(key), batchID: key.id)
                try db.close()
                return []
            } catch {
                return [error]
            }
        }
        let probe = corpus.processCrash()
        #expect(recover(probe).isEmpty)
        let result = sweep(label: "recovery", calls: probe.callCount) { variant, n in
            let fileSystem = corpus.processCrash()
            fileSystem.inject(.init(
                kind: variant.operation, errno: variant.errno, afterCalls: n, persistent: variant.persistent,
                partialWrite: variant.partialWrite))
            let errors = recover(fileSystem)
            let fired = fileSystem.callCount(variant.operation) >= n
            let checks = [
                ("kill", runner.check(fileSystem.processCrash(), acknowledged)),
                ("power loss", runner.check(fileSystem.powerLoss(.dropUnsynced), acknowledged)),
            ]
            return (fired, errors, checks)
        }
        #expect(result.violations.isEmpty, "\(result.violations.count) violations: \(result.violations.prefix(10))")
        ReliabilitySettings.report("io-faults-recovery", [
            "runs": result.tried, "faults_fired": result.fired, "violations": result.violations.count,
        ])
    }

    /// A failed sync of the log poisons the handle: the batch is not acknowledged, and later
    /// writes are refused with `needs-reopen` instead of trusting the failed sync.
    @Test func aFailedLogSyncIsNeverTrustedAndTheHandleRefusesWrites() throws {
        let fileSystem = SimulatedFileSystem()
        let workload = CrashWorkload()
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        let first = BatchKey(stream: 0, index: 0), second = BatchKey(stream: 0, index: 1)
        try db.ingest(workload.events(first), batchID: first.id)
        fileSystem.inject(.init(kind: .sync, errno: EIO, pathContains: "-wal"))
        let error = #expect(throws: TallyError.self) { try db.ingest(workload.events(second), batchID: second.id) }
        #expect(error?.code == .io && error?.osErrno == EIO)
        for attempt in [{ try db.ingest(workload.events(second), batchID: second.id) as Any }, { try db.flush() as Any }] {
            let refused = #expect(throws: TallyError.self) { _ = try attempt() }
            #expect(refused?.code == .needsReopen && refused?.osErrno == EIO)
        }
        let syncs = fileSystem.callCount(.sync)
        try? db.close()
        #expect(fileSystem.callCount(.sync) == syncs, "close must not sync a poisoned handle")
        // The failed sync's writes never became durable; the acknowledged batch did.
        let after = fileSystem.powerLoss(.dropUnsynced)
        let reopened = try Tally.open(at: Fixtures.path, options: Fixtures.options(after))
        #expect(try workload.observe(reopened).present == [first])
        #expect(try reopened.verify().isClean)
    }
}
