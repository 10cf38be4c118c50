import Dispatch
import Testing
@testable import Tally
import TallyTesting

/// A query spread over several threads answers exactly as one scanning alone, and as the oracle.
@Suite struct ParallelScanTests {
    @Test func threadsDoNotChangeAnswers() throws {
        let directory = TestDirectory()
        var random = RandomEvents(seed: 5)
        let events = random.events(count: 6000, days: 20)
        let path = directory.file("a.tally")
        let db = try Tally.open(at: path)
        try db.ingest(events)
        try db.close()
        var answers: [[QueryResult]] = []
        for threads in [1, 2, 3] {
            var options = Options()
            options.queryThreads = threads
            options.readOnly = true
            let reader = try Tally.open(at: path, options: options)
            #expect(try reader.engine.stateLock.withLock { reader.engine.catalog.segments.count } >= 20)
            answers.append(try QueryOracleTests.queries.map { try reader.query($0) })
            for query in QueryOracleTests.queries {
                let problems = Oracle.mismatches(try reader.query(query), Oracle.answer(query, events: events, bucket: 3_600_000))
                #expect(problems.isEmpty, "\(threads) threads, \(query): \(problems.prefix(5))")
            }
            try reader.close()
        }
        #expect(answers[1] == answers[0])
        #expect(answers[2] == answers[0])
    }

    /// Parallel scans while other threads ingest and flush: no query sees half a batch, totals
    /// never go down, and they are exact at the end (run under ThreadSanitizer by
    /// scripts/reliability/run-all.sh tsan).
    @Test func parallelScansBesideIngestAndFlush() throws {
        let directory = TestDirectory()
        var options = Options()
        options.queryThreads = 2
        let db = try Tally.open(at: directory.file("p.tally"), options: options)
        let start: Int64 = 1_790_812_800_000, day: Int64 = 86_400_000
        for d in 0..<12 {  // twelve partitions flushed: every query spreads over two threads
            try db.ingest([Event(timestamp: start + Int64(d) * day, metric: "m", dimensions: ["writer": "seed"])])
        }
        try db.flush()
        let writers = 2, batches = 20, batchSize = 25
        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: writers + 3) { worker in
            do {
                if worker < writers {
                    for b in 0..<batches {
                        let events = (0..<batchSize).map { i in
                            Event(timestamp: start + Int64((b * 7 + i) % 12) * day + Int64(i), metric: "m",
                                  dimensions: ["writer": "\(worker)"], value: 1, unit: "u\(i)")
                        }
                        try db.ingest(events, batchID: "w\(worker)-\(b)")
                    }
                } else if worker == writers {
                    for _ in 0..<4 { try db.flush() }
                } else {
                    var previous: UInt64 = 0
                    for _ in 0..<40 {
                        let rows = try db.query(Query(metric: "m", groupBy: ["writer"], measures: [.count, .units])).rows
                        let total = rows.filter { $0.dimensions != ["seed"] }.reduce(0) { $0 + $1.count }
                        if total % UInt64(batchSize) != 0 { failures.withLock { $0.append("half a batch: \(total)") } }
                        if total < previous { failures.withLock { $0.append("total went down: \(total) < \(previous)") } }
                        previous = total
                    }
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        let rows = try db.query(Query(metric: "m", groupBy: ["writer"], measures: [.count, .sum])).rows
        #expect(rows.map(\.dimensions) == [["0"], ["1"], ["seed"]])
        #expect(rows.map(\.count) == [UInt64(batches * batchSize), UInt64(batches * batchSize), 12])
        #expect(rows.prefix(2).map(\.sum) == [Double(batches * batchSize), Double(batches * batchSize)])
        try db.close()
    }
}
