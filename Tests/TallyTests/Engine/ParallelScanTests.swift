import Testing
@testable import Tally

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
}
