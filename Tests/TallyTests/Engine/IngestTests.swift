import Testing
@testable import Tally
import TallyTesting

/// Batches: atomic, idempotent, validated (PRODUCT.md rules 1, 2, 4).
@Suite struct IngestTests {
    func open(_ fileSystem: SimulatedFileSystem = SimulatedFileSystem(), limits: Limits = Limits()) throws -> Tally {
        var options = Fixtures.options(fileSystem)
        options.limits = limits
        return try Tally.open(at: Fixtures.path, options: options)
    }

    @Test func duplicateBatchIDChangesNothingAcrossRestart() throws {
        let fileSystem = SimulatedFileSystem()
        var db = try open(fileSystem)
        let first = try db.ingest(Fixtures.taggedBatch(0, size: 5), batchID: "same")
        #expect(first == IngestResult(accepted: 5, droppedAsExpired: 0, duplicate: false))
        #expect(try db.ingest(Fixtures.taggedBatch(0, size: 5), batchID: "same").duplicate)
        try db.close()
        db = try open(fileSystem)
        #expect(try db.ingest(Fixtures.taggedBatch(0, size: 5), batchID: "same").duplicate)
        try db.flush()
        try db.close()
        db = try open(fileSystem)  // now remembered through the catalog, not the log
        #expect(try db.ingest(Fixtures.taggedBatch(0, size: 5), batchID: "same").duplicate)
        #expect(try Fixtures.batchCounts(db) == [0: 5])
    }

    @Test func batchIDsExpireAfterTheDedupeWindow() throws {
        let fileSystem = SimulatedFileSystem()
        let clock = ManualClock(nowMilliseconds: Fixtures.start)
        var options = Fixtures.options(fileSystem)
        options.clock = clock
        let db = try Tally.open(at: Fixtures.path, options: options)
        try db.ingest(Fixtures.taggedBatch(0, size: 1), batchID: "x")
        clock.advance(byMilliseconds: 7 * 86_400_000 - 1)
        #expect(try db.ingest(Fixtures.taggedBatch(0, size: 1), batchID: "x").duplicate)
        clock.advance(byMilliseconds: 1)
        #expect(try !db.ingest(Fixtures.taggedBatch(0, size: 1), batchID: "x").duplicate)
    }

    /// One invalid event rejects the batch, names every bad event, and stores nothing.
    @Test(arguments: [
        (Event(timestamp: -1, metric: "m"), "timestamp"),
        (Event(timestamp: 253_402_300_800_000, metric: "m"), "timestamp"),
        (Event(timestamp: 0, metric: ""), "metric"),
        (Event(timestamp: 0, metric: "has space"), "metric"),
        (Event(timestamp: 0, metric: String(repeating: "a", count: 65)), "metric"),
        (Event(timestamp: 0, metric: "m", value: .nan), "value"),
        (Event(timestamp: 0, metric: "m", value: .infinity), "value"),
        (Event(timestamp: 0, metric: "m", unit: ""), "unit"),
        (Event(timestamp: 0, metric: "m", unit: String(repeating: "u", count: 129)), "unit"),
        (Event(timestamp: 0, metric: "m", dimensions: ["bad key": "v"]), "dimensions"),
        (Event(timestamp: 0, metric: "m", dimensions: ["k": String(repeating: "v", count: 257)]), "dimensions"),
        (Event(timestamp: 0, metric: "m", dimensions: ["k": "line\nbreak"]), "dimensions"),
        (Event(timestamp: 0, metric: "m", dimensions: Dictionary(uniqueKeysWithValues: (0..<17).map { ("k\($0)", "v") })),
         "dimensions"),
    ])
    func invalidEventRejectsTheWholeBatch(bad: Event, field: String) throws {
        let db = try open()
        try db.ingest(Fixtures.taggedBatch(0, size: 3))
        var batch = Fixtures.taggedBatch(1, size: 4)
        batch.insert(bad, at: 2)
        let error = #expect(throws: TallyError.self) { try db.ingest(batch) }
        #expect(error?.code == .invalidBatch)
        #expect(error?.problems.map(\.index) == [2])
        #expect(error?.problems.first?.field == field)
        #expect(try Fixtures.batchCounts(db) == [0: 3])
    }

    @Test func everyBadEventIsReported() throws {
        let db = try open()
        let batch = [Event(timestamp: -5, metric: "m"), Event(timestamp: 1, metric: "ok"), Event(timestamp: 2, metric: "b@d")]
        let error = #expect(throws: TallyError.self) { try db.ingest(batch) }
        #expect(error?.problems.map(\.index) == [0, 2])
    }

    /// A bad string is checked once per batch and role but reported at every event using it,
    /// in the role it plays there ("line\nbreak" is a fine unit length but not a name).
    @Test func aBadStringIsReportedAtEveryEventThatUsesIt() throws {
        let db = try open()
        let bad = "line\nbreak"
        let batch = [
            Event(timestamp: 1, metric: "m", unit: bad), Event(timestamp: 2, metric: "m", unit: "ok"),
            Event(timestamp: 3, metric: "m", dimensions: ["k": bad]), Event(timestamp: 4, metric: "m", unit: bad),
            Event(timestamp: 5, metric: "m", dimensions: ["k": "v", "k2": "v"]),
        ]
        let error = #expect(throws: TallyError.self) { try db.ingest(batch) }
        #expect(error?.problems.map(\.index) == [0, 2, 3])
        #expect(error?.problems.map(\.field) == ["unit", "dimensions", "unit"])
        #expect(try Fixtures.batchCounts(db) == [:])
    }

    /// Equal strings held in different storage (built at run time, longer than a small string)
    /// are one string of the batch; equal small strings are found by their bytes.
    @Test func equalStringsInDifferentStorageAreInternedOnce() {
        let long = { (n: Int) in String(repeating: "unit-", count: 4) + String(n) }
        let events = (0..<6).map { i in
            Event(timestamp: Int64(i), metric: "m", dimensions: ["k": i % 2 == 0 ? "v" : String("vv".prefix(1))],
                  unit: long(i % 3))
        }
        let batch = EventBatchBuilder.build(events)
        #expect(batch.strings.sorted() == ["k", "m", long(0), long(1), long(2), "v"].sorted())
        #expect(batch.units.map { batch.strings[Int($0)] } == events.map(\.unit!))
        #expect(Set(batch.dimensionValues).count == 1)
    }

    @Test func batchSizeLimit() throws {
        var limits = Limits()
        limits.maxEventsPerBatch = 10
        let db = try open(limits: limits)
        #expect(throws: TallyError.self) { try db.ingest(Fixtures.taggedBatch(0, size: 11)) }
        #expect(try db.ingest(Fixtures.taggedBatch(0, size: 10)).accepted == 10)
    }

    @Test func seriesLimitRejectsTheBatchThatWouldPassIt() throws {
        var limits = Limits()
        limits.maxSeriesPerMetric = 5
        let db = try open(limits: limits)
        let four = (0..<4).map { Event(timestamp: Fixtures.start, metric: "m", dimensions: ["batch": "\($0)"]) }
        try db.ingest(four)
        let three = (4..<7).map { Event(timestamp: Fixtures.start, metric: "m", dimensions: ["batch": "\($0)"]) }
        let error = #expect(throws: TallyError.self) { try db.ingest(three) }
        #expect(error?.code == .limitExceeded)
        #expect(try Fixtures.batchCounts(db).count == 4)
        // Existing series and other metrics are unaffected.
        try db.ingest(four + [Event(timestamp: Fixtures.start, metric: "other")])
    }

    @Test func lateAndOutOfOrderEventsLandInTheirOwnBucket() throws {
        let db = try open()
        let hours = [5, 1, 3, 1, 0, 5]
        try db.ingest(hours.map { Event(timestamp: Fixtures.start + Int64($0) * 3_600_000 + 17, metric: "m") })
        try db.flush()
        try db.ingest([Event(timestamp: Fixtures.start + 3_600_000, metric: "m")])  // late, after a flush
        let rows = try db.query(Query(metric: "m", every: .hour)).rows
        #expect(rows.map(\.time!) == [0, 1, 3, 5].map { Fixtures.start + Int64($0) * 3_600_000 })
        #expect(rows.map(\.count) == [1, 3, 1, 2])
    }
}
