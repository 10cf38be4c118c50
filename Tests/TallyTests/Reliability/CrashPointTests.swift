import Testing
@testable import Tally
import TallyTesting

/// Issue 7, procedure 3 (STYLE.md habit 4; format-spec.md C1–C5, R1): the engine stopped at each
/// named crash point, at each time the workload passes it, as a process crash and as a power
/// loss under every policy. The reopened database answers exactly as a clean database holding
/// the batches before or after the interrupted operation, and no temporary is left behind.
@Suite struct CrashPointTests {
    /// Stops the engine at the `occurrence`-th pass through `point` (as `Options.crashHook`).
    static func stop(at point: CrashPoint, occurrence: Int, _ fileSystem: SimulatedFileSystem) -> CrashHook {
        let seen = Locked(0)
        return { reached in
            guard reached == point else { return }
            let count = seen.withLock { seen in
                seen += 1
                return seen
            }
            if count == occurrence {
                fileSystem.crashNow()
                throw TallyError(.io, "stopped at crash point \(point.rawValue)")
            }
        }
    }

    @Test func everyCrashPointAsProcessCrashAndPowerLoss() throws {
        var runner = CrashWorkloadRunner()
        runner.batchesPerStream = ReliabilitySettings.knob("crashpoint_batches", fast: 10, full: 16)
        runner.flushEvery = 3
        runner.maintenanceEvery = 4
        // A first run counts how often the workload passes each point.
        let passes = Locked<[CrashPoint: Int]>([:])
        var counting = runner
        counting.configure = { options in
            options.crashHook = { point in passes.withLock { $0[point, default: 0] += 1 } }
        }
        let clean = counting.run(on: SimulatedFileSystem())
        #expect(clean.errors.isEmpty)
        let counts = passes.withLock { $0 }
        var references: [Set<BatchKey>: CorruptionProbe.Answers] = [:]
        var tried = 0
        var violations: [String] = []
        for point in CrashPoint.allCases {
            for occurrence in 1...max(1, counts[point] ?? 0) where counts[point] != nil {
                let fileSystem = SimulatedFileSystem()
                var stopping = runner
                stopping.configure = { options in options.crashHook = Self.stop(at: point, occurrence: occurrence, fileSystem) }
                let outcome = stopping.run(on: fileSystem)
                for (label, disk) in PowerLossSweepTests.disks(after: fileSystem, seeds: 0..<2) {
                    tried += 1
                    let where_ = "\(point.rawValue) #\(occurrence) \(label)"
                    let problems = runner.check(disk.processCrash(), outcome)
                    violations += problems.map { "\(where_): \($0)" }
                    guard problems.isEmpty else { continue }
                    // Exact answers: those of a clean database with the same batches.
                    let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(disk.processCrash()))
                    let present = try runner.workload.observe(db).present
                    if references[present] == nil {
                        references[present] = try CorruptionProbe.Answers.of(batches: present, workload: runner.workload)
                    }
                    if try CorruptionProbe.Answers.of(db) != references[present] {
                        violations.append("\(where_): answers differ from a clean database with the same batches")
                    }
                    try db.close()
                }
            }
        }
        let unreached = CrashPoint.allCases.filter { counts[$0] == nil }.map(\.rawValue)
        #expect(violations.isEmpty, "\(violations.count) violations: \(violations.prefix(10))")
        #expect(unreached.isEmpty, "crash points the workload never reaches: \(unreached)")
        ReliabilitySettings.report("crash-points", [
            "points": CrashPoint.allCases.count - unreached.count, "stops": counts.values.reduce(0, +),
            "recoveries": tried, "violations": violations.count, "unreached": unreached.joined(separator: ","),
        ])
    }
}
