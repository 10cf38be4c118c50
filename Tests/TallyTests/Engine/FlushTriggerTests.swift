import Testing
@testable import Tally
import TallyTesting

/// When the head is written without being asked (PRODUCT.md: "when the rollups outgrow a memory
/// budget or a time partition closes"): a partition closes once data time is a grace period past
/// its end, and late events for a partition that closed before do not flush again by themselves.
@Suite struct FlushTriggerTests {
    static let day: Int64 = 86_400_000
    static let hour: Int64 = 3_600_000
    static let grace = Engine.lateArrivalGrace

    func open(_ fileSystem: SimulatedFileSystem = SimulatedFileSystem()) throws -> Tally {
        try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
    }

    func events(at time: Int64, count: Int = 1, tag: String = "on time") -> [Event] {
        (0..<count).map { Event(timestamp: time + Int64($0), metric: "m", dimensions: ["tag": tag], unit: "u\($0)") }
    }

    /// Events per UTC day, read back through a query.
    func dailyCounts(_ db: Tally) throws -> [Int64: UInt64] {
        let rows = try db.query(Query(metric: "m", every: .day)).rows
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.time! - Fixtures.start, $0.count) })
    }

    @Test func aPartitionFlushesOnceDataTimeIsTheGracePastItsEnd() throws {
        let db = try open()
        try db.ingest(events(at: Fixtures.start + Self.hour, count: 3))
        try db.ingest(events(at: Fixtures.start + Self.day + Self.grace - 1))
        var info = try db.info()
        #expect(info.segments.isEmpty)
        #expect(info.headEvents == 4)

        try db.ingest(events(at: Fixtures.start + Self.day + Self.grace))
        info = try db.info()
        #expect(info.headEvents == 0)
        #expect(Set(info.segments.map(\.partitionStart)) == [Fixtures.start, Fixtures.start + Self.day])
        #expect(try dailyCounts(db) == [0: 3, Self.day: 2])
    }

    @Test func lateEventsForAClosedPartitionWaitForTheNextPartitionToClose() throws {
        let fileSystem = SimulatedFileSystem()
        var db = try open(fileSystem)
        try db.ingest(events(at: Fixtures.start + Self.hour, count: 3))
        try db.ingest(events(at: Fixtures.start + Self.day + Self.grace))  // day 0 closes: a flush
        let flushed = try db.info().segments.count

        // Late batches for day 0, and day 1 going on: nothing is written until day 1 closes.
        for late in 0..<5 {
            try db.ingest(events(at: Fixtures.start + 2 * Self.hour + Int64(late), count: 2, tag: "late"))
            try db.ingest(events(at: Fixtures.start + Self.day + Self.grace + Self.hour * Int64(late + 1)))
        }
        var info = try db.info()
        #expect(info.segments.count == flushed)
        #expect(info.headEvents == 15)
        #expect(try dailyCounts(db) == [0: 13, Self.day: 6])

        // Still in the head after a crash (replayed from the log, not flushed by the open), and
        // still counted once.
        db = try open(fileSystem.processCrash())
        info = try db.info()
        #expect(info.segments.count == flushed)
        #expect(info.headEvents == 15)
        #expect(try dailyCounts(db) == [0: 13, Self.day: 6])

        // Day 1 closes: the late events are written with it.
        try db.ingest(events(at: Fixtures.start + 2 * Self.day + Self.grace))
        info = try db.info()
        #expect(info.headEvents == 0)
        #expect(try dailyCounts(db) == [0: 13, Self.day: 6, 2 * Self.day: 1])
        let lateRows = try db.query(Query(metric: "m", filters: ["tag": ["late"]])).rows
        #expect(lateRows.map(\.count) == [10])
    }

    @Test func lateEventsAloneStillFlushWhenTheyOutgrowTheMemoryBudget() throws {
        var options = Fixtures.options(SimulatedFileSystem())
        options.memoryBudgetBytes = 1 << 20
        let db = try Tally.open(at: Fixtures.path, options: options)
        try db.ingest(events(at: Fixtures.start + Self.hour))
        try db.ingest(events(at: Fixtures.start + Self.day + Self.grace))  // day 0 closes
        let flushed = try db.info().segments.count
        var batches = 0
        while try db.info().segments.count == flushed && batches < 1_000 {
            let series = (0..<1_000).map { "late \(batches) \($0)" }
            try db.ingest(series.map { Event(timestamp: Fixtures.start + 2 * Self.hour, metric: "m", dimensions: ["tag": $0]) })
            batches += 1
        }
        #expect(try db.info().segments.count > flushed)
        #expect(try dailyCounts(db)[0] == UInt64(1 + 1_000 * batches))
    }
}
