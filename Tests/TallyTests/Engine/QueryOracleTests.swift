import Testing
@testable import Tally

/// Query results equal the brute-force oracle in the head, after a flush, after reopening, and
/// with data split between segments and the head.
@Suite struct QueryOracleTests {
    static let queries: [Query] = [
        Query(metric: "pageview"),
        Query(metric: "pageview", groupBy: ["country"], measures: [.count, .units]),
        Query(metric: "pageview", groupBy: ["device", "country"], every: .day),
        Query(metric: "purchase", filters: ["country": ["US", "DE"]], groupBy: ["device"], every: .hour,
              measures: [.count, .sum, .min, .max, .mean, .units]),
        Query(metric: "purchase", every: .milliseconds(6 * 3_600_000), from: 1_790_812_800_000 + 5 * 3_600_000,
              to: 1_790_812_800_000 + 50 * 3_600_000, measures: [.count, .sum]),
        Query(metric: "error", filters: ["device": ["tablet"]], groupBy: ["country"], measures: [.units]),
        Query(metric: "missing"),
    ]

    func check(_ db: Tally, _ events: [Event], stage: String) throws {
        for query in QueryOracleTests.queries {
            let result = try db.query(query)
            let problems = Oracle.mismatches(result, Oracle.answer(query, events: events, bucket: 3_600_000))
            #expect(problems.isEmpty, "\(stage) \(query): \(problems.prefix(5))")
            // Rows come by time, then dimension values (missing first), each group once.
            #expect(zip(result.rows, result.rows.dropFirst()).allSatisfy { Aggregator.rowOrder($0, $1) }, "\(stage) \(query)")
        }
    }

    @Test func headFlushAndReopenAgreeWithOracle() throws {
        let directory = TestDirectory()
        let path = directory.file("a.tally")
        var random = RandomEvents(seed: 1)
        let first = random.events(count: 3000)
        let second = random.events(count: 2000)
        var db = try Tally.open(at: path)
        try db.ingest(first, batchID: "b1")
        try check(db, first, stage: "head")
        try db.flush()
        try check(db, first, stage: "flushed")
        try db.ingest(second, batchID: "b2")
        try check(db, first + second, stage: "segments+head")
        try db.close()
        db = try Tally.open(at: path)
        try check(db, first + second, stage: "reopened")
        try db.close()
    }

    @Test func crashWithoutCloseReplaysTheLog() throws {
        let directory = TestDirectory()
        let path = directory.file("a.tally")
        var random = RandomEvents(seed: 2)
        let events = random.events(count: 1500)
        let db = try Tally.open(at: path)
        try db.ingest(events, batchID: "x")
        // Simulate a kill: the handle is abandoned; release its lock by closing the file only.
        db.engine.stateLock.withLock { db.engine.isClosed = true; db.engine.file.close() }
        let reopened = try Tally.open(at: path)
        try check(reopened, events, stage: "replayed")
        #expect(try reopened.ingest(events, batchID: "x").duplicate)
        try check(reopened, events, stage: "after duplicate")
    }
}
