import Testing
@testable import Tally
import TallyTesting

/// The model the crash harnesses rely on must see every kind of violation it claims to check.
@Suite struct CrashWorkloadTests {
    let workload = CrashWorkload(seed: 9)

    func database(_ body: (Tally) throws -> Void) throws -> CrashWorkload.Observed {
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(SimulatedFileSystem()))
        try body(db)
        return try workload.observe(db)
    }

    func key(_ stream: Int, _ index: Int) -> BatchKey { BatchKey(stream: stream, index: index) }

    @Test func aWholeWorkloadIsConsistent() throws {
        let keys = (0..<6).map { key(0, $0) } + (0..<4).map { key(1, $0) }
        let observed = try database { db in
            for k in keys { try db.ingest(workload.events(k), batchID: k.id) }
            try db.flush()
        }
        #expect(workload.violations(observed, acknowledged: Set(keys), sent: Set(keys)).isEmpty)
        #expect(observed.report?.units == UInt64(keys.count))
    }

    @Test func seesLostPartialDoubledInventedAndOutOfOrderBatches() throws {
        let observed = try database { db in
            try db.ingest(workload.events(key(0, 0)))
            try db.ingest(workload.events(key(0, 0)).filter { $0.metric == CrashWorkload.tagMetric })  // doubled
            try db.ingest(Array(workload.events(key(0, 1)).prefix(2)))  // partial
            try db.ingest(workload.events(key(0, 3)))  // gap: 2 is missing
            try db.ingest(workload.events(key(1, 0)).filter { $0.metric != "exposure" })  // no exposure
        }
        let problems = workload.violations(
            observed, acknowledged: [key(0, 0), key(0, 1), key(0, 2)], sent: [key(0, 0), key(0, 1), key(0, 2), key(1, 0)])
        let text = problems.joined(separator: "\n")
        #expect(text.contains("s0-0 has"), "doubled: \(text)")
        #expect(text.contains("s0-1 has"), "partial: \(text)")
        #expect(text.contains("not a prefix"), "gap: \(text)")
        #expect(text.contains("acknowledged batches lost: [s0-2]"), "lost: \(text)")
        #expect(text.contains("never sent: [s0-3]"), "invented: \(text)")
        #expect(text.contains("units exposed"), "experiment: \(text)")
    }
}
