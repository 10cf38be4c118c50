import Testing
@testable import Tally
import TallyTesting

/// PRODUCT.md rule 3: every batch acknowledged under `full` durability survives a power cut at
/// any sync; no batch is partial or counted twice; the survivors are a prefix of the batches.
@Suite struct PowerLossTests {
    /// Ingests tagged batches (flushing every few) until the file system crashes.
    /// Returns how many batches were acknowledged.
    func runWorkload(_ fileSystem: SimulatedFileSystem, batches: Int) -> Int {
        var acknowledged = 0
        do {
            let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
            for index in 0..<batches {
                try db.ingest(Fixtures.taggedBatch(index, size: 10, hour: index), batchID: "b\(index)")
                acknowledged = index + 1
                if index % 4 == 3 { try db.flush() }
            }
            try db.close()
        } catch {}
        return acknowledged
    }

    func checkSurvivors(_ disk: SimulatedFileSystem, acknowledged: Int, batches: Int, label: String) throws {
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(disk))
        let counts = try Fixtures.batchCounts(db)
        let present = counts.keys.sorted()
        #expect(present == Array(0..<present.count), "\(label): survivors are not a prefix: \(present)")
        #expect(present.count >= acknowledged, "\(label): lost acknowledged batches: \(present.count) < \(acknowledged)")
        #expect(present.count <= min(acknowledged + 1, batches), "\(label): more batches than were sent")
        #expect(counts.values.allSatisfy { $0 == 10 }, "\(label): a batch is partial or doubled: \(counts)")
        // Replaying the same batch ids after recovery changes nothing for the survivors.
        for index in present { #expect(try db.ingest(Fixtures.taggedBatch(index, size: 10), batchID: "b\(index)").duplicate) }
        try db.close()
    }

    @Test func everySyncPointUnderEveryPolicy() throws {
        let batches = 10
        let probe = SimulatedFileSystem()
        #expect(runWorkload(probe, batches: batches) == batches)
        let syncs = probe.callCount(.sync)
        #expect(syncs > batches)
        for k in 1...syncs {
            for timing in [SimulatedFileSystem.CrashTiming.before, .after] {
                let fileSystem = SimulatedFileSystem()
                fileSystem.crash(atSync: k, timing: timing)
                let acknowledged = runWorkload(fileSystem, batches: batches)
                try checkSurvivors(fileSystem.powerLoss(.dropUnsynced), acknowledged: acknowledged, batches: batches,
                                   label: "sync \(k) \(timing) drop")
                try checkSurvivors(fileSystem.powerLoss(.tearLastWrite), acknowledged: acknowledged, batches: batches,
                                   label: "sync \(k) \(timing) tear")
                for seed in 0..<3 as Range<UInt64> {
                    try checkSurvivors(fileSystem.powerLoss(.randomUnsynced, seed: seed), acknowledged: acknowledged,
                                       batches: batches, label: "sync \(k) \(timing) random \(seed)")
                }
                try checkSurvivors(fileSystem.processCrash(), acknowledged: acknowledged, batches: batches,
                                   label: "sync \(k) \(timing) kill")
            }
        }
    }
}

/// Issue 7, procedure 2: the richer workload of ``CrashWorkload`` (exposures and conversions,
/// late events that reopen closed partitions, explicit and automatic flushes, several writer
/// threads and a flushing thread), crashed at every call and then at random points.
@Suite struct PowerLossSweepTests {
    /// Every power-loss outcome of a crashed file system that the sweep checks.
    static func disks(after crashed: SimulatedFileSystem, seeds: Range<UInt64>) -> [(String, SimulatedFileSystem)] {
        var disks = [
            ("kill", crashed.processCrash()), ("drop", crashed.powerLoss(.dropUnsynced)),
            ("keep", crashed.powerLoss(.keepUnsynced)), ("tear", crashed.powerLoss(.tearLastWrite)),
        ]
        for seed in seeds { disks.append(("random \(seed)", crashed.powerLoss(.randomUnsynced, seed: seed))) }
        return disks
    }

    /// Crashes the single-writer workload at the k-th call of each operation that changes the
    /// disk, for every k, before and after the call takes effect; with maintenance, the
    /// workload also applies retention and compacts every fourth batch.
    @Test(arguments: [false, true])
    func everyCallOfTheRicherWorkload(maintenance: Bool) throws {
        var runner = CrashWorkloadRunner()
        runner.maintenanceEvery = maintenance ? 4 : 0
        let probe = SimulatedFileSystem()
        let clean = runner.run(on: probe)
        #expect(clean.errors.isEmpty && clean.acknowledged.count == 12, "\(clean.errors)")
        #expect(runner.check(probe.processCrash(), clean).isEmpty)
        let operations: [SimulatedFileSystem.Operation] = ReliabilitySettings.isFull
            ? [.sync, .write, .truncate, .rename, .remove, .syncDirectory, .open]
            : maintenance ? [.sync, .rename] : [.sync, .rename, .remove, .syncDirectory]
        let seeds = 0..<UInt64(ReliabilitySettings.knob("powerloss_sweep_seeds", fast: 1, full: 6))
        var tried = 0
        var violations: [String] = []
        for operation in operations {
            for k in 1...probe.callCount(operation) {
                for timing in [SimulatedFileSystem.CrashTiming.before, .after] {
                    let fileSystem = SimulatedFileSystem()
                    fileSystem.crash(at: operation, call: k, timing: timing)
                    let outcome = runner.run(on: fileSystem)
                    for (label, disk) in Self.disks(after: fileSystem, seeds: seeds) {
                        tried += 1
                        for problem in runner.check(disk, outcome) {
                            violations.append("\(operation) \(k) \(timing) \(label): \(problem)")
                        }
                    }
                }
            }
        }
        #expect(violations.isEmpty, "\(violations.count) violations: \(violations.prefix(10))")
        ReliabilitySettings.report(
            "powerloss-sweep", ["maintenance": maintenance, "recoveries": tried, "violations": violations.count])
    }

    /// Several writer threads and a flushing thread, crashed at a random call of a random
    /// operation, each crash checked under every power-loss policy.
    @Test func randomCrashPointsWithConcurrentWriters() throws {
        var runner = CrashWorkloadRunner()
        runner.streams = 3
        runner.batchesPerStream = 8
        runner.flushEvery = 5
        runner.flusherThread = true
        runner.maintenanceEvery = 6
        let probe = SimulatedFileSystem()
        let clean = runner.run(on: probe)
        #expect(clean.errors.isEmpty && clean.acknowledged.count == 24, "\(clean.errors)")
        let crashes = ReliabilitySettings.knob("powerloss_random_crashes", fast: 25, full: 2000)
        let operations: [SimulatedFileSystem.Operation] = [.sync, .sync, .write, .rename, .remove, .syncDirectory, .truncate]
        var random = RandomEvents(seed: UInt64(ReliabilitySettings.knob("seed", fast: 7, full: 7)))
        var tried = 0
        var violations: [String] = []
        for crash in 0..<crashes {
            let operation = operations[random.below(operations.count)]
            let k = 1 + random.below(max(1, probe.callCount(operation)))
            let timing: SimulatedFileSystem.CrashTiming = random.below(2) == 0 ? .before : .after
            let fileSystem = SimulatedFileSystem()
            fileSystem.crash(at: operation, call: k, timing: timing)
            let outcome = runner.run(on: fileSystem)
            let seed = UInt64(crash)
            for (label, disk) in Self.disks(after: fileSystem, seeds: seed..<seed + 2) {
                tried += 1
                for problem in runner.check(disk, outcome) {
                    violations.append("crash \(crash) (\(operation) \(k) \(timing)) \(label): \(problem)")
                }
            }
        }
        #expect(violations.isEmpty, "\(violations.count) violations: \(violations.prefix(10))")
        ReliabilitySettings.report("powerloss-random", ["crashes": crashes, "recoveries": tried, "violations": violations.count])
    }

    /// Durability `normal` and `off` (Options): an acknowledged batch survives a process kill;
    /// a power cut may lose the last ones, but what remains is still whole and consistent.
    @Test(arguments: [Durability.normal, .off])
    func weakerDurabilitySurvivesAKillAndStaysConsistentAfterPowerLoss(durability: Durability) throws {
        var runner = CrashWorkloadRunner()
        runner.durability = durability
        let probe = SimulatedFileSystem()
        _ = runner.run(on: probe)
        var violations: [String] = []
        for operation in [SimulatedFileSystem.Operation.write, .sync] {
            for k in 1...probe.callCount(operation) {
                let fileSystem = SimulatedFileSystem()
                fileSystem.crash(at: operation, call: k)
                let outcome = runner.run(on: fileSystem)
                violations += runner.check(fileSystem.processCrash(), outcome).map { "\(operation) \(k) kill: \($0)" }
                for (label, disk) in Self.disks(after: fileSystem, seeds: 0..<1).dropFirst() {
                    violations += runner.check(disk, outcome, requireAcknowledged: false).map { "\(operation) \(k) \(label): \($0)" }
                }
            }
        }
        #expect(violations.isEmpty, "\(violations.count) violations: \(violations.prefix(10))")
    }
}
