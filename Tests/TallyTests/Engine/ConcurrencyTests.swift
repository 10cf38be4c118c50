import Glibc
import Dispatch
import Testing
@testable import Tally
import TallyTesting

/// Rule 8 of the engine issue: many threads ingest and query at once; a query never sees half
/// a batch; the totals are exact at the end.
@Suite struct ConcurrencyTests {
    @Test(arguments: [Durability.full, .normal])
    func concurrentIngestFlushAndQuery(durability: Durability) throws {
        let directory = TestDirectory()
        var options = Options()
        options.durability = durability
        let db = try Tally.open(at: directory.file("c.tally"), options: options)
        let writers = 4, batchesPerWriter = 25, batchSize = 40
        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: writers + 2) { worker in
            do {
                if worker < writers {
                    for b in 0..<batchesPerWriter {
                        let events = (0..<batchSize).map { i in
                            Event(timestamp: 1_790_812_800_000 + Int64(b * 3_600_000 + i), metric: "m",
                                  dimensions: ["writer": "\(worker)"], value: 1, unit: "u\(i)")
                        }
                        try db.ingest(events, batchID: "w\(worker)-b\(b)")
                    }
                } else if worker == writers {
                    var previous: UInt64 = 0
                    for _ in 0..<60 {
                        let total = try db.query(Query(metric: "m")).rows.first?.count ?? 0
                        if total % UInt64(batchSize) != 0 { failures.withLock { $0.append("half a batch: \(total)") } }
                        if total < previous { failures.withLock { $0.append("total went down: \(total) < \(previous)") } }
                        previous = total
                    }
                } else {
                    for _ in 0..<5 { try db.flush() }
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        let rows = try db.query(Query(metric: "m", groupBy: ["writer"], measures: [.count, .sum])).rows
        #expect(rows.map(\.count) == Array(repeating: UInt64(batchesPerWriter * batchSize), count: writers))
        #expect(rows.map(\.sum) == Array(repeating: Double(batchesPerWriter * batchSize), count: writers))
        try db.close()
    }
}

/// Rule 9: one writer; read-only handles open beside it.
@Suite struct LockTests {
    @Test func secondWriterIsRefusedNamingTheHolder() throws {
        let directory = TestDirectory()
        let path = directory.file("l.tally")
        let writer = try Tally.open(at: path)
        let error = #expect(throws: TallyError.self) { try Tally.open(at: path) }
        #expect(error?.code == .locked)
        #expect(error?.message.contains("process \(getpid())") == true, "\(String(describing: error))")
        try writer.ingest([Event(timestamp: 1_790_812_800_000, metric: "m")])
        var readOnly = Options()
        readOnly.readOnly = true
        let reader = try Tally.open(at: path, options: readOnly)
        #expect(try reader.query(Query(metric: "m")).rows.first?.count == 1)
        #expect(throws: TallyError.self) { try reader.ingest([Event(timestamp: 0, metric: "m")]) }
        try writer.close()
        let again = try Tally.open(at: path)
        #expect(try again.query(Query(metric: "m")).rows.first?.count == 1)
    }
}
