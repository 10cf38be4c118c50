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
